// src/lora/sd15-modules.ts — the Stable Diffusion 1.5 module names a LoRA can target, generated from
// the model structure (pure): diffusers UNet paths, the original (CompVis / LDM) UNet paths that
// AUTOMATIC1111 and ComfyUI patch, and the CLIP text encoder paths.

/** Block layout of the SD1.5 UNet: 4 down blocks (attention in 0-2), a mid block, 4 up blocks (attention in 1-3). */
const DOWN_HAS_ATTENTION = [true, true, true, false];
const UP_HAS_ATTENTION = [false, true, true, true];

/** The projections in one SD1.5 attention processor (SPEC §2 targets). */
export const ATTENTION_PROJECTIONS = ['to_q', 'to_k', 'to_v', 'to_out.0'] as const;

/** Linear layers of one Transformer2DModel (SD1.5 has one transformer block per attention). */
function transformerModules(prefix: string): string[] {
  const out = [`${prefix}.proj_in`, `${prefix}.proj_out`];
  for (const attn of ['attn1', 'attn2']) {
    for (const p of ATTENTION_PROJECTIONS) out.push(`${prefix}.transformer_blocks.0.${attn}.${p}`);
  }
  out.push(`${prefix}.transformer_blocks.0.ff.net.0.proj`, `${prefix}.transformer_blocks.0.ff.net.2`);
  return out;
}

/** The attention blocks of the diffusers SD1.5 UNet, e.g. `down_blocks.0.attentions.1`. */
export function sd15AttentionBlocks(): string[] {
  const blocks: string[] = [];
  DOWN_HAS_ATTENTION.forEach((has, i) => {
    if (has) for (let j = 0; j < 2; j++) blocks.push(`down_blocks.${i}.attentions.${j}`);
  });
  blocks.push('mid_block.attentions.0');
  UP_HAS_ATTENTION.forEach((has, i) => {
    if (has) for (let j = 0; j < 3; j++) blocks.push(`up_blocks.${i}.attentions.${j}`);
  });
  return blocks;
}

/**
 * The 128 attention projections of SD1.5 (16 attention blocks x attn1/attn2 x to_q/k/v/out.0),
 * as diffusers module paths — the modules toonlora trains (SPEC §2).
 */
export function sd15AttentionModules(): string[] {
  const out: string[] = [];
  for (const block of sd15AttentionBlocks()) {
    for (const attn of ['attn1', 'attn2']) {
      for (const p of ATTENTION_PROJECTIONS) out.push(`${block}.transformer_blocks.0.${attn}.${p}`);
    }
  }
  return out;
}

function resnetModules(prefix: string, shortcut: boolean): string[] {
  const out = [`${prefix}.conv1`, `${prefix}.conv2`, `${prefix}.time_emb_proj`];
  if (shortcut) out.push(`${prefix}.conv_shortcut`);
  return out;
}

/** Every Linear / Conv2d of the diffusers SD1.5 UNet (norm layers left out: LoRAs do not target them). */
export function sd15UnetModules(): string[] {
  const out = ['conv_in', 'conv_out', 'time_embedding.linear_1', 'time_embedding.linear_2'];
  DOWN_HAS_ATTENTION.forEach((has, i) => {
    for (let j = 0; j < 2; j++) {
      // Channels change in the first resnet of down blocks 1 and 2 (320->640, 640->1280).
      out.push(...resnetModules(`down_blocks.${i}.resnets.${j}`, j === 0 && (i === 1 || i === 2)));
      if (has) out.push(...transformerModules(`down_blocks.${i}.attentions.${j}`));
    }
    if (i < 3) out.push(`down_blocks.${i}.downsamplers.0.conv`);
  });
  out.push(...transformerModules('mid_block.attentions.0'));
  for (let j = 0; j < 2; j++) out.push(...resnetModules(`mid_block.resnets.${j}`, false));
  UP_HAS_ATTENTION.forEach((has, i) => {
    for (let j = 0; j < 3; j++) {
      // Up-block resnets take the skip connection concatenated: their channels always change.
      out.push(...resnetModules(`up_blocks.${i}.resnets.${j}`, true));
      if (has) out.push(...transformerModules(`up_blocks.${i}.attentions.${j}`));
    }
    if (i < 3) out.push(`up_blocks.${i}.upsamplers.0.conv`);
  });
  return out;
}

function ldmResBlock(prefix: string, skip: boolean): string[] {
  const out = [`${prefix}.in_layers.2`, `${prefix}.emb_layers.1`, `${prefix}.out_layers.3`];
  if (skip) out.push(`${prefix}.skip_connection`);
  return out;
}

/**
 * Every Linear / Conv2d of the original (LDM / CompVis) SD1.5 UNet, under `diffusion_model.`, built
 * from ldm's `openaimodel.UNetModel` layout: input_blocks 0-11, middle_block, output_blocks 0-11, out.
 */
export function sd15CompvisUnetModules(): string[] {
  const out = ['input_blocks.0.0', 'out.2', 'time_embed.0', 'time_embed.2'];
  for (let level = 0; level < 4; level++) {
    for (let j = 0; j < 2; j++) {
      const index = 1 + level * 3 + j;
      out.push(...ldmResBlock(`input_blocks.${index}.0`, j === 0 && (level === 1 || level === 2)));
      if (DOWN_HAS_ATTENTION[level]) out.push(...transformerModules(`input_blocks.${index}.1`));
    }
    if (level < 3) out.push(`input_blocks.${3 + level * 3}.0.op`);
  }
  out.push(...ldmResBlock('middle_block.0', false), ...transformerModules('middle_block.1'));
  out.push(...ldmResBlock('middle_block.2', false));
  for (let level = 0; level < 4; level++) {
    for (let j = 0; j < 3; j++) {
      const index = level * 3 + j;
      out.push(...ldmResBlock(`output_blocks.${index}.0`, true));
      if (UP_HAS_ATTENTION[level]) out.push(...transformerModules(`output_blocks.${index}.1`));
    }
    if (level < 3) out.push(`output_blocks.${level * 3 + 2}.${level === 0 ? 1 : 2}.conv`);
  }
  return out.map((m) => `diffusion_model.${m}`);
}

/** CLIP ViT-L/14 text encoder layers (12) and the Linear layers in each. */
export const CLIP_LAYER_MODULES = [
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.out_proj',
  'mlp.fc1',
  'mlp.fc2',
] as const;

/** Every Linear of the SD1.5 text encoder as a transformers `CLIPTextModel` path. */
export function sd15TextEncoderModules(): string[] {
  const out: string[] = [];
  for (let layer = 0; layer < 12; layer++) {
    for (const m of CLIP_LAYER_MODULES) out.push(`text_model.encoder.layers.${layer}.${m}`);
  }
  return out;
}

export type LoraComponent = 'unet' | 'text_encoder';

/** kohya module-name prefix per component (sd-scripts `LoRANetwork.LORA_PREFIX_*`). */
export const KOHYA_PREFIX: Record<LoraComponent, string> = { unet: 'lora_unet_', text_encoder: 'lora_te_' };

let flatToPath: Map<string, { component: LoraComponent; path: string }> | undefined;

/** kohya flat module name (e.g. `lora_unet_mid_block_attentions_0_proj_in`) -> diffusers path, for SD1.5 modules. */
export function knownKohyaNames(): ReadonlyMap<string, { component: LoraComponent; path: string }> {
  if (!flatToPath) {
    flatToPath = new Map();
    for (const path of sd15UnetModules()) {
      flatToPath.set(KOHYA_PREFIX.unet + path.replaceAll('.', '_'), { component: 'unet', path });
    }
    for (const path of sd15TextEncoderModules()) {
      flatToPath.set(KOHYA_PREFIX.text_encoder + path.replaceAll('.', '_'), {
        component: 'text_encoder',
        path,
      });
    }
  }
  return flatToPath;
}

/**
 * The SD1.5 UNet's 3 x 3 convolutions (diffusers `UNet2DConditionModel` with its default config, which
 * SD1.5 and toonlora's tiny test model share): conv_in, conv_out, every resnet's conv1 / conv2 and the
 * down- / upsamplers' conv. Its other convolutions (conv_shortcut, proj_in, proj_out) are 1 x 1.
 */
const SD15_3X3_CONV =
  /^(conv_in|conv_out|.*\.resnets\.\d+\.conv[12]|.*\.(downsamplers|upsamplers)\.0\.conv)$/;

/**
 * The kernel size of an SD1.5 module whose kernel is larger than 1 x 1 (`[3, 3]`), else `[]` (a Linear
 * or a 1 x 1 convolution, whose flattened weights have the same columns). A rank-decomposed LoKr w2
 * stores a convolution flattened (`lokr_w2_b` [rank, in_channels * kh * kw]), so its input channels
 * come from this.
 */
export function sd15KernelSize(component: LoraComponent, path: string): readonly number[] {
  return component === 'unet' && SD15_3X3_CONV.test(path) ? [3, 3] : [];
}

/** The block a module belongs to, for per-block counts: `down_blocks.1`, `mid_block`, `text_encoder.layers.3`. */
export function blockOf(component: LoraComponent, path: string): string {
  if (component === 'text_encoder') {
    const m = /^text_model\.encoder\.layers\.(\d+)\./.exec(path);
    return m ? `text_encoder.layers.${m[1]}` : 'text_encoder';
  }
  const m = /^(down_blocks\.\d+|up_blocks\.\d+|mid_block)\./.exec(path);
  return m ? (m[1] as string) : (path.split('.')[0] ?? path);
}
