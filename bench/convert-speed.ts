// bench/convert-speed.ts — `npm run bench:convert`: time `convertLora` PEFT -> kohya on a ~150 MB
// rank-128 SD1.5 LoRA (seeded random values) against a plain fs.copyFile of the same file, in the
// same run, into a new file and over an existing one, and measure the converter's peak RSS in a
// child process. Goal: within 2x of the copy, memory well below the file size. Prints medians, the
// ratios and the RSS (MiB: maxRSS is in KiB), and the time sha256 alone takes over the same bytes (the
// floor: see hashFloorMs). No options (`--help` prints the usage); the environment variable
// BENCH_RUNS (a positive integer, default 5) sets the runs of each side. Works in a temporary folder,
// removed at the end.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { convertLora } from '../src/lora/convert.js';
import { sd15LinearShape, seededRandom } from '../src/lora/lora-fixtures.js';
import { orderForWrite } from '../src/lora/safetensors-format.js';
import { writeSafetensors } from '../src/lora/safetensors-write.js';
import { sd15AttentionBlocks, sd15AttentionModules } from '../src/lora/sd15-modules.js';

const RANK = 128;
const run = promisify(execFile);

export const USAGE = `Usage: npm run bench:convert   (or: npx tsx bench/convert-speed.ts)

Times convert (PEFT -> kohya, fp32 and fp16) of a ~160 MB rank-128 LoRA against fs.copyFile of the same
file and sha256 alone, into a new file and over an existing one, with the converter's peak RSS (MiB).
No options. Environment: BENCH_RUNS=N  runs of each side, the median counts (a positive integer, default 5).`;

/** BENCH_RUNS: a positive integer, 5 when unset; anything else is a usage error (exit 2). */
export function benchRuns(value: string | undefined): number {
  if (value === undefined || value === '') return 5;
  if (!/^\d+$/.test(value.trim()) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new RangeError(`BENCH_RUNS: expected a positive integer, got '${value}'`);
  }
  return Number(value);
}

/** Attention projections + proj_in / proj_out + ff.net.2 of every attention block: ~160 MB at rank 128 in fp32. */
function benchModules(): string[] {
  const extra = sd15AttentionBlocks().flatMap((b) => [
    `${b}.proj_in`,
    `${b}.proj_out`,
    `${b}.transformer_blocks.0.ff.net.2`,
  ]);
  return [...sd15AttentionModules(), ...extra];
}

/** Writes the PEFT adapter, generating each tensor's values while streaming (no 150 MB buffer). */
async function makeAdapter(folder: string): Promise<void> {
  await mkdir(folder, { recursive: true });
  const random = seededRandom(2024);
  const tensors = benchModules().flatMap((path) => {
    const [inF, outF] = sd15LinearShape(path);
    return [
      { name: `base_model.model.${path}.lora_A.weight`, shape: [RANK, inF] },
      { name: `base_model.model.${path}.lora_B.weight`, shape: [outF, RANK] },
    ];
  });
  const sources = orderForWrite(tensors.map((t) => ({ ...t, dtype: 'F32' as const }))).map((t) => ({
    ...t,
    chunks: function* () {
      const total = (t.shape[0] as number) * (t.shape[1] as number);
      for (let done = 0; done < total; done += 1 << 20) {
        const chunk = new Float32Array(Math.min(1 << 20, total - done));
        for (let i = 0; i < chunk.length; i++) chunk[i] = random() * 0.02;
        yield new Uint8Array(chunk.buffer);
      }
    },
  }));
  await writeSafetensors(join(folder, 'adapter_model.safetensors'), sources, { format: 'pt' });
  await writeFile(
    join(folder, 'adapter_config.json'),
    JSON.stringify({ peft_type: 'LORA', r: RANK, lora_alpha: 64 }),
  );
}

interface ChildReport {
  convertMs: number;
  /** CPU time (user + system) the conversion used: steadier than wall time on a loaded machine. */
  cpuMs: number;
  /** Peak resident set size in MiB (process.resourceUsage().maxRSS is in KiB). */
  maxRssMiB: number;
}

/** Child mode: convert once (or only import, for the baseline RSS) and report time and peak RSS. */
async function childMain(args: string[]): Promise<void> {
  const [mode, input, output, precision] = args;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  if (mode === 'convert') {
    await convertLora({
      input: input as string,
      output: output as string,
      overwrite: true,
      ...(precision ? { precision: precision as 'fp16' } : {}),
    });
  }
  const cpu = process.cpuUsage(cpuStart);
  const report: ChildReport = {
    convertMs: performance.now() - start,
    cpuMs: (cpu.user + cpu.system) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(JSON.stringify(report));
}

async function inChild(args: string[]): Promise<ChildReport> {
  const self = fileURLToPath(import.meta.url);
  // Under tsx the child needs the loader too; a bundled copy (esbuild, for other machines) runs as is.
  const loader = self.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const { stdout } = await run(process.execPath, [...loader, self, '--child', ...args], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout) as ChildReport;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/**
 * sha256 over the file's bytes, fed in 1 MB pieces as convert feeds it: kohya's `sshs_model_hash`
 * needs it over every byte written, and sha256 runs on one core, so no conversion that writes the
 * hash can beat it. Only the hashing is timed; reads go through one reused buffer (a large buffer
 * here would inflate the children's peak RSS, which Linux carries over from the forked parent).
 */
async function hashFloorMs(path: string, runs: number): Promise<number> {
  const piece = Buffer.allocUnsafe(1 << 20);
  const times: number[] = [];
  const file = await open(path, 'r');
  try {
    for (let i = 0; i < runs; i++) {
      const hash = createHash('sha256');
      let hashing = 0;
      for (let at = 0; ; ) {
        const { bytesRead } = await file.read(piece, 0, piece.byteLength, at);
        if (bytesRead === 0) break;
        at += bytesRead;
        const t0 = performance.now();
        hash.update(piece.subarray(0, bytesRead));
        hashing += performance.now() - t0;
      }
      hash.digest();
      times.push(hashing);
    }
  } finally {
    await file.close();
  }
  return median(times);
}

async function main(runs: number): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'toonlora-bench-'));
  try {
    const adapter = join(dir, 'adapter');
    await makeAdapter(adapter);
    const input = join(adapter, 'adapter_model.safetensors');
    const bytes = (await stat(input)).size;
    const sizeMiB = bytes / 2 ** 20;
    console.log(
      `input: ${input}  ${(bytes / 1e6).toFixed(1)} MB (${sizeMiB.toFixed(1)} MiB), ${benchModules().length} modules, rank ${RANK}, ${runs} ${runs === 1 ? 'run' : 'runs'} each`,
    );
    await copyFile(input, join(dir, 'warm.bin')); // warm the page cache for both sides
    const idle = await inChild(['idle']);
    const hashMs = await hashFloorMs(input, runs);
    // Two cases, both sides alike: writing a new file, and replacing one (ext4 then writes the new
    // file's data out at the rename / truncate that replaces the old one: auto_da_alloc).
    for (const target of ['new', 'existing'] as const) {
      const copyMs: number[] = [];
      const results: Record<string, ChildReport[]> = { fp32: [], fp16: [] };
      const outputs = ['copy.bin', 'kohya.safetensors', 'kohya16.safetensors'].map((name) => join(dir, name));
      for (let i = 0; i < runs; i++) {
        for (const path of outputs) {
          if (target === 'new') await rm(path, { force: true });
          else if (i === 0) await copyFile(input, path);
        }
        const t0 = performance.now();
        await copyFile(input, join(dir, 'copy.bin'));
        copyMs.push(performance.now() - t0);
        results.fp32?.push(await inChild(['convert', adapter, join(dir, 'kohya.safetensors')]));
        results.fp16?.push(await inChild(['convert', adapter, join(dir, 'kohya16.safetensors'), 'fp16']));
      }
      const copy = median(copyMs);
      console.log(`into ${target === 'new' ? 'a new file' : 'an existing file (replaced)'}:`);
      console.log(`  fs.copyFile                 median ${copy.toFixed(0)} ms`);
      console.log(
        `  sha256 of the bytes alone   median ${hashMs.toFixed(0)} ms   ratio ${(hashMs / copy).toFixed(2)}x copy (a floor for convert: kohya's sshs_model_hash)`,
      );
      for (const [label, reports] of Object.entries(results)) {
        const ms = median(reports.map((r) => r.convertMs));
        const cpuMs = median(reports.map((r) => r.cpuMs));
        const rss = Math.max(...reports.map((r) => r.maxRssMiB));
        console.log(
          `  convert -> kohya (${label})   median ${ms.toFixed(0)} ms (cpu ${cpuMs.toFixed(0)} ms)   ratio ${(ms / copy).toFixed(2)}x copy (${(ms / hashMs).toFixed(2)}x sha256 alone)   peak RSS ${rss.toFixed(0)} MiB (${(rss - idle.maxRssMiB).toFixed(0)} MiB above an idle child)`,
        );
      }
    }
    console.log(
      `load average (1 min) ${loadavg()[0]?.toFixed(1)} on ${cpus().length} cores: wall times are only comparable on a quiet machine`,
    );
    console.log(
      `idle child (node + tsx + imports) peak RSS ${idle.maxRssMiB.toFixed(0)} MiB; file size ${sizeMiB.toFixed(0)} MiB`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the bench (or, with --child, one measured conversion): --help prints the usage, anything else is refused. */
async function cli(argv: readonly string[]): Promise<number> {
  if (argv[0] === '--child') {
    await childMain(argv.slice(1));
    return 0;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let runs: number;
  try {
    if (argv.length > 0)
      throw new RangeError(`unexpected argument '${argv[0]}': this bench takes no options`);
    runs = benchRuns(process.env.BENCH_RUNS);
  } catch (error) {
    console.error(`${(error as Error).message}\n(--help prints the usage)`);
    return 2;
  }
  await main(runs);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = await cli(process.argv.slice(2));
}
