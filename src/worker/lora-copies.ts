// src/worker/lora-copies.ts — the generation worker's diffusers-format copies of one LoRA file, kept under
// `<TOONLORA_HOME>/lora-diffusers` (diffusersCopyFolder): removed when that LoRA is deleted (DELETE /api/loras/:id).
import { resolve } from 'node:path';
import { removeCopiesOf } from '../lora/diffusers-copy-removal.js';
import type { CacheOptions } from '../models/cache.js';
import { diffusersCopyFolder } from './generate.js';

/**
 * Removes the diffusers-format copies the worker was handed instead of the LoRA file at `loraPath` (made under
 * the TOONLORA_HOME of `modelCache`, a server's; see src/lora/diffusers-copy.ts) and resolves with their paths. For
 * a deleted LoRA: otherwise its copies stay on disk until another copy is made, and a later file at the same path
 * with the same size and time would be handed the stale copy. Call it only when no request uses the LoRA.
 * @throws the file system's error when a copy cannot be removed
 */
export function removeLoraCopies(loraPath: string, modelCache: CacheOptions = {}): Promise<string[]> {
  return removeCopiesOf(diffusersCopyFolder(modelCache), resolve(loraPath));
}
