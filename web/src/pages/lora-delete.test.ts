// web/src/pages/lora-delete.test.ts — the LoRA page asks before it deletes a LoRA: the name, what goes (the file,
// its converted copies and, for a trained one, its training's adapter and checkpoints), that it cannot be undone,
// and, for a trained one, that its train job stays with its samples, loss and log.
import { describe, expect, it } from 'vitest';
import type { Artifact } from '../../../src/schemas/api.js';
import { deleteLoraQuestion } from './lora.js';

const lora = (jobId: string | null): Artifact => ({
  id: 'l1',
  characterId: 'c1',
  jobId,
  kind: 'lora',
  name: 'mina',
  url: '/api/artifacts/l1/file',
  meta: {},
  createdAt: '2026-01-01T00:00:00.000Z',
});

describe('the question before a LoRA is deleted', () => {
  it('says what goes, what stays and that it cannot be undone', () => {
    // before: "Its file and the downloads converted from it are deleted", though a trained LoRA's adapter and
    // checkpoints stayed; they now go too, and the question says so
    expect(deleteLoraQuestion(lora('j1'))).toBe(
      'Delete the LoRA mina? Its file, the copies converted from it (downloads, generation) and the weights its ' +
        'training kept (adapter, checkpoints) are deleted from the server; this cannot be undone. Download it first ' +
        'to keep a copy. The train job that made it stays in the job history, with its samples, loss and log.',
    );
  });

  it('names no training weights or train job for an uploaded LoRA', () => {
    expect(deleteLoraQuestion(lora(null))).toBe(
      'Delete the LoRA mina? Its file and the copies converted from it (downloads, generation) are deleted from the ' +
        'server; this cannot be undone. Download it first to keep a copy.',
    );
  });
});
