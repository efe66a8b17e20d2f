// Tests for sdxl-check.ts: each SDXL signal on its own (kohya's lora_te1_ / lora_te2_, sdxl metadata,
// an XL model spec, a UNet transformer block past 0), and SD1.5 / SD2 names and metadata left alone;
// convert's and generate's refusals, inspect's warning.
import { describe, expect, it } from 'vitest';
import { assertNotSdxl, SDXL_VERDICT_NOTE, sdxlSignals, sdxlWarning } from './sdxl-check.js';

const SD15_KEYS = [
  'lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight',
  'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight',
  'lora_unet_input_blocks_1_1_transformer_blocks_0_attn2_to_k.lora_up.weight',
  'base_model.model.up_blocks.1.attentions.2.transformer_blocks.0.ff.net.2.lora_A.weight',
  'lora_unet_down_blocks_0_attentions_0_proj_in.alpha',
];

describe('sdxlSignals', () => {
  it('is empty for SD1.5 (and SD2) names and metadata', () => {
    expect(sdxlSignals(SD15_KEYS, {})).toEqual([]);
    expect(
      sdxlSignals(SD15_KEYS, {
        ss_base_model_version: 'sd_v1',
        'modelspec.architecture': 'stable-diffusion-v1/lora',
      }),
    ).toEqual([]);
    expect(sdxlSignals(SD15_KEYS, { 'modelspec.architecture': 'stable-diffusion-v2-768-v/lora' })).toEqual(
      [],
    );
  });

  it('names each signal', () => {
    expect(sdxlSignals(['lora_te1_text_model_encoder_layers_0_mlp_fc1.alpha'], {})).toEqual([
      "1 lora_te1_ key(s): SDXL's text encoders",
    ]);
    expect(sdxlSignals(['lora_te2_x.alpha', 'lora_te2_y.alpha'], {})).toEqual([
      "2 lora_te2_ key(s): SDXL's text encoders",
    ]);
    expect(sdxlSignals([], { ss_base_model_version: 'sdxl_base_v1-0' })).toEqual([
      'ss_base_model_version "sdxl_base_v1-0"',
    ]);
    expect(sdxlSignals([], { 'modelspec.architecture': 'stable-diffusion-xl-v1-base/lora' })).toEqual([
      'modelspec.architecture "stable-diffusion-xl-v1-base/lora"',
    ]);
    const deep = 'unet.down_blocks.2.attentions.1.transformer_blocks.9.attn2.to_v.lora_B.weight';
    expect(sdxlSignals([...SD15_KEYS, deep], {})).toEqual([`"${deep}" (SD1.5 has transformer block 0 only)`]);
  });

  it('assertNotSdxl throws TL_ERR_LORA_FORMAT naming the file, the signals and SD1.5 only', () => {
    expect(() => assertNotSdxl(SD15_KEYS, {}, 'ok.safetensors')).not.toThrow();
    expect(() => assertNotSdxl(['lora_te2_x.alpha'], {}, 'xl.safetensors')).toThrow(
      expect.objectContaining({
        code: 'TL_ERR_LORA_FORMAT',
        message: expect.stringMatching(
          /^xl\.safetensors: is an SDXL LoRA \(1 lora_te2_ key\(s\).*SD1\.5 only/,
        ),
      }),
    );
  });

  it("assertNotSdxl for generate says an SD1.5 base cannot use it, without convert's --drop-unknown", () => {
    expect(() => assertNotSdxl(SD15_KEYS, {}, 'ok.safetensors', 'generate')).not.toThrow();
    let message = '';
    try {
      assertNotSdxl(
        ['lora_te2_x.alpha'],
        { ss_base_model_version: 'sdxl_base_v1-0' },
        '/x/xl.safetensors',
        'generate',
      );
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toBe(
      '/x/xl.safetensors: is an SDXL LoRA (1 lora_te2_ key(s): SDXL\'s text encoders; ss_base_model_version "sdxl_base_v1-0"); toonlora generates with SD1.5 base models only, which cannot use an SDXL LoRA (with or without its lora_te2_ keys). Use it as it is with an SDXL model in the WebUI or ComfyUI.',
    );
  });

  it('sdxlWarning and the verdict note say SDXL and where it loads', () => {
    expect(sdxlWarning(['a', 'b'])).toMatch(
      /^this is an SDXL LoRA \(a; b\): toonlora is SD1\.5 only, so convert and generate refuse it/,
    );
    expect(SDXL_VERDICT_NOTE).toContain('Load it with an SDXL model.');
  });
});
