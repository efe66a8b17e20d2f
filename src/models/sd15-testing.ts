// src/models/sd15-testing.ts — for tests: writes a complete diffusers SD1.5 layout (tiny placeholder weights)
// into a Hugging Face cache snapshot folder, what `models pull owner/name` leaves and completeSd15Snapshot accepts.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Every file of a complete diffusers SD1.5 layout and its placeholder body. */
export const SD15_FILES: Readonly<Record<string, string>> = {
  'model_index.json': JSON.stringify({
    _class_name: 'StableDiffusionPipeline',
    unet: ['diffusers', 'UNet2DConditionModel'],
  }),
  'scheduler/scheduler_config.json': JSON.stringify({ _class_name: 'PNDMScheduler' }),
  'text_encoder/config.json': JSON.stringify({ hidden_size: 768 }),
  'text_encoder/model.safetensors': 'te-weights',
  'tokenizer/merges.txt': 'merges',
  'tokenizer/vocab.json': '{}',
  'unet/config.json': JSON.stringify({ cross_attention_dim: 768, in_channels: 4 }),
  'unet/diffusion_pytorch_model.safetensors': 'unet-weights',
  'vae/config.json': JSON.stringify({ latent_channels: 4 }),
  'vae/diffusion_pytorch_model.safetensors': 'vae-weights',
};

/** The layout's settings files (configs, tokenizer), in SD15_FILES order: everything but the weights. */
export const SD15_SETTINGS: readonly string[] = Object.keys(SD15_FILES).filter(
  (path) => !path.endsWith('.safetensors'),
);

/**
 * Writes a complete SD1.5 layout into `snapshotDir`, leaving out the files named in `without` (a stopped pull).
 * When `snapshotDir` is a cache's `snapshots/<commit>` and the repo has no `refs/main` yet, writes one naming it,
 * as `hf download` does before it fetches the files (main resolves only through refs/main).
 * @returns `snapshotDir`
 */
export function writeSd15Snapshot(snapshotDir: string, without: readonly string[] = []): string {
  const refsMain = join(snapshotDir, '..', '..', 'refs', 'main');
  if (basename(dirname(snapshotDir)) === 'snapshots' && !existsSync(refsMain)) {
    mkdirSync(dirname(refsMain), { recursive: true });
    writeFileSync(refsMain, basename(snapshotDir));
  }
  for (const [path, body] of Object.entries(SD15_FILES)) {
    if (without.includes(path)) continue;
    mkdirSync(dirname(join(snapshotDir, path)), { recursive: true });
    writeFileSync(join(snapshotDir, path), body);
  }
  return snapshotDir;
}
