// Tests for loader-compat.ts, sd15-modules.ts and lora-keys.ts: the 128 SD1.5 attention modules map
// under AUTOMATIC1111's and ComfyUI's naming rules, diffusers-style files are flagged where those
// loaders do not map them, and key grammar / format detection.
import { describe, expect, it } from 'vitest';
import {
  a1111CompvisName,
  checkA1111,
  checkComfyUi,
  checkDiffusers,
  diffusersLostTextEncoderModules,
  diffusersMisreadAlphas,
  diffusersMisreadsAlphas,
} from './loader-compat.js';
import { detectLoraFormat, kohyaModuleName, parseKohyaKey, parsePeftStyleKey } from './lora-keys.js';
import {
  sd15AttentionBlocks,
  sd15AttentionModules,
  sd15CompvisUnetModules,
  sd15UnetModules,
} from './sd15-modules.js';

const kohyaKeys = (paths: readonly string[]) =>
  paths.flatMap((p) => {
    const name = kohyaModuleName('unet', p);
    return [`${name}.lora_down.weight`, `${name}.lora_up.weight`, `${name}.alpha`];
  });

describe('SD1.5 module lists', () => {
  it('has 16 attention blocks and 128 attention projections', () => {
    expect(sd15AttentionBlocks()).toHaveLength(16);
    const modules = sd15AttentionModules();
    expect(modules).toHaveLength(128);
    expect(new Set(modules).size).toBe(128);
    expect(modules).toContain('up_blocks.3.attentions.2.transformer_blocks.0.attn2.to_out.0');
    expect(modules.filter((m) => m.startsWith('down_blocks.3'))).toEqual([]);
  });

  it('has as many diffusers as LDM modules', () => {
    expect(sd15UnetModules()).toHaveLength(sd15CompvisUnetModules().length);
  });
});

describe('AUTOMATIC1111 and ComfyUI map all 128 attention modules', () => {
  const keys = kohyaKeys(sd15AttentionModules());

  it('A1111: every key resolves to an LDM module', () => {
    const verdict = checkA1111(keys);
    expect(verdict.unmappedKeys).toEqual([]);
    expect(verdict.notes).toEqual([]);
    expect(verdict.ok).toBe(true);
    expect(verdict.mappedKeys).toBe(384);
  });

  it('ComfyUI: every key is in the key map', () => {
    expect(checkComfyUi(keys)).toMatchObject({ ok: true, mappedKeys: 384, unmappedKeys: [] });
  });

  it('diffusers: kohya keys convert', () => {
    expect(checkDiffusers(keys)).toMatchObject({ ok: true, unmappedKeys: [] });
  });

  it('A1111 conversion matches the LDM layout on known examples', () => {
    expect(a1111CompvisName('lora_unet_down_blocks_0_attentions_1_transformer_blocks_0_attn1_to_q')).toBe(
      'diffusion_model_input_blocks_2_1_transformer_blocks_0_attn1_to_q',
    );
    expect(a1111CompvisName('lora_unet_up_blocks_3_attentions_2_transformer_blocks_0_attn2_to_out_0')).toBe(
      'diffusion_model_output_blocks_11_1_transformer_blocks_0_attn2_to_out_0',
    );
    expect(a1111CompvisName('lora_unet_mid_block_resnets_1_conv2')).toBe(
      'diffusion_model_middle_block_2_out_layers_3',
    );
    expect(a1111CompvisName('lora_unet_up_blocks_0_upsamplers_0_conv')).toBe(
      'diffusion_model_output_blocks_2_1_conv',
    );
  });

  it('every SD1.5 UNet and text-encoder module maps in A1111 and ComfyUI', () => {
    const all = [
      ...kohyaKeys(sd15UnetModules()),
      'lora_te_text_model_encoder_layers_11_self_attn_out_proj.lora_down.weight',
      'lora_te_text_model_encoder_layers_11_self_attn_out_proj.lora_up.weight',
    ];
    expect(checkA1111(all).unmappedKeys).toEqual([]);
    expect(checkComfyUi(all).unmappedKeys).toEqual([]);
  });
});

describe('what the loaders do not map', () => {
  it('diffusers-format keys: A1111 and ComfyUI miss them, diffusers maps them', () => {
    const keys = sd15AttentionModules()
      .slice(0, 2)
      .flatMap((p) => [`unet.${p}.lora_A.weight`, `unet.${p}.lora_B.weight`]);
    expect(checkA1111(keys).unmappedKeys).toHaveLength(4);
    expect(checkComfyUi(keys).unmappedKeys).toHaveLength(4);
    expect(checkDiffusers(keys)).toMatchObject({ ok: true });
  });

  it('a typo in a kohya name is listed for every loader', () => {
    const keys = [
      ...kohyaKeys(['mid_block.attentions.0.transformer_blocks.0.attn1.to_q']),
      'lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_x.lora_up.weight',
    ];
    for (const verdict of [checkA1111(keys), checkComfyUi(keys), checkDiffusers(keys)]) {
      expect(verdict.unmappedKeys).toEqual([
        'lora_unet_mid_block_attentions_0_transformer_blocks_0_attn1_to_x.lora_up.weight',
      ]);
      expect(verdict.ok).toBe(false);
    }
  });

  it('diffusers: a kohya DoRA file is not ok, with a note that dora_scale is dropped', () => {
    const path = 'mid_block.attentions.0.transformer_blocks.0.attn1.to_q';
    const keys = [...kohyaKeys([path]), `${kohyaModuleName('unet', path)}.dora_scale`];
    const verdict = checkDiffusers(keys);
    expect(verdict).toMatchObject({ ok: false, unmappedKeys: [] });
    expect(verdict.notes.join(' ')).toContain('drops the dora_scale keys');
    expect(checkDiffusers(kohyaKeys([path]))).toMatchObject({ ok: true, notes: [] });
  });

  it('diffusers: kohya text-encoder q/k/v_proj modules without an out_proj one are named as lost', () => {
    const te = (layer: number, module: string) => {
      const name = kohyaModuleName('text_encoder', `text_model.encoder.layers.${layer}.${module}`);
      return [`${name}.lora_down.weight`, `${name}.lora_up.weight`, `${name}.alpha`];
    };
    const unet = kohyaKeys(['mid_block.attentions.0.transformer_blocks.0.attn1.to_q']);
    const qv = [0, 1].flatMap((l) => [...te(l, 'self_attn.q_proj'), ...te(l, 'self_attn.v_proj')]);
    const mlp = [0, 1].flatMap((l) => [...te(l, 'mlp.fc1'), ...te(l, 'mlp.fc2')]);

    // with mlp modules diffusers reads the file as its new format and drops the q/v keys silently
    const dropped = checkDiffusers([...unet, ...qv, ...mlp]);
    expect(dropped).toMatchObject({ ok: false, mappedKeys: unet.length + mlp.length });
    expect([...dropped.unmappedKeys].sort()).toEqual([...qv].sort());
    expect(dropped.notes).toEqual([
      expect.stringContaining(
        'text encoder: 4 q/k/v_proj module(s) (lora_te_text_model_encoder_layers_0_self_attn_q_proj, lora_te_text_model_encoder_layers_0_self_attn_v_proj, lora_te_text_model_encoder_layers_1_self_attn_q_proj and 1 more) and no out_proj module',
      ),
    ]);
    expect(dropped.notes[0]).toContain('load_lora_weights drops them without an error');

    // with nothing else in the text encoder it raises
    const raises = checkDiffusers([...unet, ...qv]);
    expect(raises.ok).toBe(false);
    expect(raises.notes[0]).toContain('Could not automatically infer state dict type');

    // one out_proj module makes diffusers read every attention key; lora_te1_ names the same encoder
    const withOut = [...qv, ...te(1, 'self_attn.out_proj')];
    expect(checkDiffusers([...unet, ...withOut, ...mlp])).toMatchObject({ ok: true, notes: [] });
    const te1 = (keys: string[]) => keys.map((k) => k.replace('lora_te_', 'lora_te1_'));
    expect(checkDiffusers([...unet, ...te1(withOut), ...te1(mlp)])).toMatchObject({ ok: true, notes: [] });
    expect(diffusersLostTextEncoderModules(te1(withOut))).toBeUndefined();
    expect(diffusersLostTextEncoderModules(te1(qv))).toMatchObject({ raises: true });
  });

  it('A1111 refuses a module with alpha but no up/down pair', () => {
    const name = kohyaModuleName('unet', 'mid_block.attentions.0.transformer_blocks.0.attn1.to_q');
    expect(checkA1111([`${name}.alpha`]).notes[0]).toContain('refuses the whole file');
  });
});

describe('key grammar', () => {
  it('parses PEFT, diffusers and adapter-named keys', () => {
    expect(
      parsePeftStyleKey(
        'base_model.model.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_A.weight',
      ),
    ).toEqual({
      component: 'unet',
      path: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0',
      part: 'down',
      style: 'peft',
    });
    expect(parsePeftStyleKey('unet.mid_block.attentions.0.proj_in.lora_B.default.weight')).toMatchObject({
      part: 'up',
      style: 'diffusers',
    });
    expect(
      parsePeftStyleKey('base_model.model.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight')
        ?.component,
    ).toBe('text_encoder');
    expect(parsePeftStyleKey('base_model.model.x.lora_magnitude_vector')?.part).toBe('magnitude');
    expect(parsePeftStyleKey('lora_unet_x.lora_up.weight')).toBeUndefined();
  });

  it('parses kohya keys back to diffusers paths', () => {
    expect(
      parseKohyaKey('lora_unet_up_blocks_1_attentions_2_transformer_blocks_0_attn2_to_out_0.alpha'),
    ).toMatchObject({
      path: 'up_blocks.1.attentions.2.transformer_blocks.0.attn2.to_out.0',
      part: 'alpha',
      known: true,
    });
    expect(parseKohyaKey('lora_te_text_model_encoder_layers_3_mlp_fc1.dora_scale')).toMatchObject({
      component: 'text_encoder',
      path: 'text_model.encoder.layers.3.mlp.fc1',
      part: 'magnitude',
    });
  });

  it('detects formats', () => {
    expect(detectLoraFormat(['lora_unet_a.lora_up.weight', 'lora_te_b.alpha'])).toBe('kohya');
    expect(detectLoraFormat(['base_model.model.a.lora_A.weight'])).toBe('peft');
    expect(detectLoraFormat(['unet.a.lora_A.weight', 'text_encoder.b.lora_B.weight'])).toBe('diffusers');
    expect(detectLoraFormat(['model.diffusion_model.x.weight'])).toBe('unknown');
  });
});

describe('diffusersMisreadAlphas (diffusers 0.42 network_alphas -> alpha_pattern)', () => {
  const ATTN = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q';
  const ATTN2 = 'down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k';
  const CONV = 'down_blocks.0.resnets.0.conv1';
  const CONV2 = 'down_blocks.0.resnets.0.conv2';
  const PROJ = 'down_blocks.0.attentions.0.proj_in';
  const FF = 'down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2';
  const TE_Q = 'text_model.encoder.layers.0.self_attn.q_proj';
  const TE_FC = 'text_model.encoder.layers.0.mlp.fc1';
  const m = (
    component: 'unet' | 'text_encoder',
    path: string,
    alpha: number,
    alphaSource: 'tensor' | 'assumed-rank' = 'tensor',
  ) => ({ component, path, rank: 8, alpha, alphaSource });
  const misread = (modules: ReturnType<typeof m>[]) =>
    diffusersMisreadAlphas(modules, true).map((x) => [x.module.replace(/^lora_(unet|te)_/, ''), x.applied]);

  it('lets a LoCon conv_alpha, proj_in / ff alphas and a text encoder with its own one alpha pass (measured exact)', () => {
    // the most common Civitai LoCon: network_alpha 4 on attention, conv_alpha 1 on the 3x3 convs
    expect(
      misread([m('unet', ATTN, 4), m('unet', ATTN2, 4), m('unet', CONV, 1), m('unet', CONV2, 1)]),
    ).toEqual([]);
    const ATTN3 = ATTN2.replace('to_k', 'to_v');
    expect(
      misread([
        m('unet', ATTN, 4),
        m('unet', ATTN2, 4),
        m('unet', ATTN3, 4),
        m('unet', PROJ, 2),
        m('unet', FF, 2),
      ]),
    ).toEqual([]);
    expect(misread([m('unet', ATTN, 4), m('text_encoder', TE_Q, 1), m('text_encoder', TE_FC, 1)])).toEqual(
      [],
    );
    expect(
      diffusersMisreadsAlphas('kohya', [m('unet', ATTN, 4), m('unet', CONV, 1), m('unet', CONV2, 1)]),
    ).toBe(
      true, // more conv modules: their alpha is the most common, and the attention module gets it
    );
  });

  it('flags attention modules, text-encoder modules and modules without .alpha off the most common alpha', () => {
    const attnFlat = ATTN.replaceAll('.', '_');
    expect(misread([m('unet', ATTN, 8), m('unet', ATTN2, 4), m('unet', CONV, 4)])).toEqual([[attnFlat, 4]]);
    expect(
      misread([
        m('unet', ATTN, 4),
        m('text_encoder', TE_Q, 4),
        m('text_encoder', TE_FC, 1),
        m('text_encoder', TE_FC.replace('fc1', 'fc2'), 1),
        m('text_encoder', TE_Q.replace('q_', 'k_'), 4),
        m('text_encoder', TE_Q.replace('q_', 'v_'), 4),
      ]),
    ).toEqual([
      [TE_FC.replaceAll('.', '_'), 4],
      [TE_FC.replace('fc1', 'fc2').replaceAll('.', '_'), 4],
    ]);
    // no .alpha: no alpha_pattern entry, so the most common alpha (4 on rank 8) instead of alpha = rank
    expect(misread([m('unet', ATTN, 4), m('unet', ATTN2, 4), m('unet', CONV, 8, 'assumed-rank')])).toEqual([
      [CONV.replaceAll('.', '_'), 4],
    ]);
    // ... which convert, writing an .alpha for every module, does not do
    expect(
      diffusersMisreadAlphas([m('unet', ATTN, 4), m('unet', ATTN2, 4), m('unet', CONV, 8, 'assumed-rank')]),
    ).toEqual([]);
    // a component without any .alpha gets alpha = rank per module: right
    expect(misread([m('unet', ATTN, 8, 'assumed-rank'), m('unet', CONV, 8, 'assumed-rank')])).toEqual([]);
  });

  it('breaks a tie as Counter.most_common does: the first module in key order', () => {
    // attentions_0 sorts before resnets_0: alpha 4 wins, the convs get their alpha_pattern entry
    expect(
      misread([m('unet', CONV, 1), m('unet', ATTN, 4), m('unet', CONV2, 1), m('unet', ATTN2, 4)]),
    ).toEqual([]);
    const late = 'up_blocks.3.attentions.0.transformer_blocks.0.attn1.to_q';
    expect(misread([m('unet', CONV, 1), m('unet', late, 4)])).toEqual([[late.replaceAll('.', '_'), 1]]);
  });
});

describe('a file no loader loads anything from', () => {
  it('no keys at all: every check is not ok and says the file holds no tensors', () => {
    for (const verdict of [checkA1111([]), checkComfyUi([]), checkDiffusers([])]) {
      expect(verdict).toMatchObject({ ok: false, mappedKeys: 0, unmappedKeys: [] });
      expect(verdict.notes).toEqual([expect.stringContaining('the file holds no tensors (only metadata)')]);
    }
  });

  it('ComfyUI: only alphas (no weights) map: not ok, it loads nothing', () => {
    const q = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
    const verdict = checkComfyUi([`${q}.alpha`]);
    expect(verdict).toMatchObject({ ok: false, mappedKeys: 1, unmappedKeys: [] });
    expect(verdict.notes).toEqual(['no key maps to an SD1.5 module: ComfyUI loads nothing.']);
    expect(checkComfyUi([`${q}.alpha`, `${q}.lora_down.weight`, `${q}.lora_up.weight`]).ok).toBe(true);
  });

  it('diffusers: PEFT-style keys none of which maps say it loads nothing', () => {
    const verdict = checkDiffusers(['unet.no_such_block.to_q.lora_A.weight']);
    expect(verdict.ok).toBe(false);
    expect(verdict.notes).toContain('no key maps to an SD1.5 module: load_lora_weights loads nothing.');
  });
});
