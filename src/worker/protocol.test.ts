// src/worker/protocol.test.ts — the zod protocol against the golden file Python generates
// (trainer/tests/golden/protocol.jsonl, written by trainer/scripts/make_protocol_golden.py).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  doneSchemaByCommand,
  encodeRequest,
  parseWorkerLine,
  parseWorkerRequestLine,
  type WorkerCommand,
} from './protocol.js';

interface GoldenCase {
  channel: 'event' | 'request';
  command: string | null;
  valid: boolean;
  note: string;
  line: string;
}

const goldenLines = readFileSync(
  new URL('../../trainer/tests/golden/protocol.jsonl', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n');
const cases = goldenLines.slice(1).map((line) => JSON.parse(line) as GoldenCase);

describe('golden protocol file', () => {
  it('says who generated it', () => {
    expect(JSON.parse(goldenLines[0] ?? '{}')).toHaveProperty('generated_by');
    expect(cases.length).toBeGreaterThan(20);
  });

  it.each(cases.map((c) => [`${c.channel} ${c.note}`, c] as const))('%s', (_name, golden) => {
    if (golden.channel === 'event') {
      const parsed = parseWorkerLine(golden.line);
      expect(parsed.ok).toBe(golden.valid);
      // a command's `done`, as the Python code writes it: its command's schema takes it, key for key
      if (golden.command !== null && parsed.ok) {
        const schema = doneSchemaByCommand[golden.command as WorkerCommand];
        expect(schema.safeParse(parsed.event).error?.issues).toBeUndefined();
      }
    } else {
      const parsed = parseWorkerRequestLine(golden.line);
      expect(parsed.ok).toBe(golden.valid);
      if (parsed.ok) expect(parsed.request.command).toBe(golden.command);
    }
  });
});

describe("each command's done schema", () => {
  const doneLines = cases.filter((c) => c.channel === 'event' && c.command !== null);

  it('has a golden done line for every worker command', () => {
    expect(new Set(doneLines.map((c) => c.command))).toEqual(new Set(Object.keys(doneSchemaByCommand)));
  });

  it('refuses a renamed, a missing or an unknown key, and null for a count', () => {
    const golden = (command: WorkerCommand) => {
      const line = doneLines.find((c) => c.command === command)?.line ?? '';
      return JSON.parse(line) as { artifacts: Record<string, unknown>; stats: Record<string, unknown> };
    };
    const count = golden('lora-count');
    const { modules, ...rest } = count.stats;
    const renamed = { ...count, stats: { ...rest, lora_modules: modules } };
    expect(
      doneSchemaByCommand['lora-count'].safeParse(renamed).error?.issues.map((i) => i.path.join('.')),
    ).toEqual(['stats.modules', 'stats']);
    const train = golden('train');
    const { trained_images: _, ...noImages } = train.artifacts;
    expect(doneSchemaByCommand.train.safeParse({ ...train, artifacts: noImages }).success).toBe(false);
    const memory = golden('estimate-memory');
    expect(
      doneSchemaByCommand['estimate-memory'].safeParse({
        ...memory,
        stats: { ...memory.stats, peak_gib: null },
      }).success,
    ).toBe(false);
  });
});

describe('parseWorkerLine', () => {
  it('names the field and quotes the line when an event is wrong', () => {
    const result = parseWorkerLine('{"version":1,"type":"progress","step":"x","total":2}');
    expect(result).toEqual({ ok: false, reason: expect.stringMatching(/^step: .*"\{\\"version/) });
  });

  it('accepts a log tagged with its serve-generation request id (trainer/tests/test_protocol.py writes this line)', () => {
    const line =
      '{"version":1,"level":"warn","message":"the prompt is 90 tokens long","id":"g1","type":"log"}';
    expect(parseWorkerLine(line)).toMatchObject({
      ok: true,
      event: { type: 'log', level: 'warn', id: 'g1' },
    });
  });

  it('rejects stray library output', () => {
    expect(parseWorkerLine('Loading pipeline components...')).toEqual({
      ok: false,
      reason: expect.stringContaining('not a JSON line'),
    });
  });
});

describe('encodeRequest', () => {
  it('fills schema defaults so the worker gets a complete request', () => {
    const line = encodeRequest({
      version: 1,
      command: 'serve-generation',
      base_model: 'tiny',
      sd15_config_dir: null,
    });
    expect(parseWorkerRequestLine(line.trim()).ok).toBe(true);
  });

  it('throws on a bad request instead of sending it', () => {
    expect(() =>
      encodeRequest({ version: 1, command: 'serve-generation', base_model: '' } as never),
    ).toThrow();
  });
});
