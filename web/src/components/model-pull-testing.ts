// web/src/components/model-pull-testing.ts — a model pull's snapshot as the server sends it when the pull starts (no
// file yet, nothing done), for the tests of the Models page and its Hub pull form to build theirs from.
import type { ModelPull } from '../../../src/schemas/models-api.js';

/** The snapshot of model `model`'s pull just started (seq 1, running), with `changes`. */
export function startedPull(model: string, changes: Partial<ModelPull> = {}): ModelPull {
  return {
    model,
    status: 'running',
    seq: 1,
    startedAt: '2026-12-06T20:00:00.000Z',
    endedAt: null,
    file: null,
    fileReceivedBytes: 0,
    fileTotalBytes: null,
    filesDone: 0,
    doneBytes: 0,
    modelBytes: null,
    bytesPerS: null,
    message: null,
    error: null,
    ...changes,
  };
}
