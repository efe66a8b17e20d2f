// src/lora/other-base.ts — whether a LoRA looks made for another base model than SD1.5 (pure): its
// kohya / modelspec metadata, or the text-embedding width its cross-attention modules read; as data (otherBaseEvidence)
// and in inspect's words (otherBaseCliWords).

/** SD1.5's text-embedding width (CLIP ViT-L/14): what its UNet cross-attention to_k / to_v read. */
const SD15_TEXT_WIDTH = 768;

/** Base models told by their cross-attention text width (other widths, e.g. the tiny test base's 32, are not told). */
const TEXT_WIDTH_BASES: Readonly<Record<number, string>> = { 1024: 'SD 2.x', 2048: 'SDXL' };

/** What the file's metadata or text width tell of another base: the base(s) and the evidence. */
export interface OtherBase {
  readonly base: string;
  readonly evidence: readonly string[];
}

type OtherBaseModule = {
  readonly component: string;
  readonly path: string;
  readonly down: { readonly shape: readonly number[] };
};

/** inspect's words for another base (what `toonlora inspect` prints). */
export function otherBaseCliWords({ base, evidence }: OtherBase): string {
  return `this LoRA looks made for ${base}, not SD1.5 (${evidence.join('; ')}): on an SD1.5 base its weights do not fit (diffusers and toonlora generate stop at a size mismatch). Use it with the base it was trained for.`;
}

/**
 * Why a LoRA looks made for another base model than SD1.5, or undefined: its kohya / modelspec metadata
 * (`ss_v2` True, `ss_base_model_version` sd_2… / sdxl…, `modelspec.architecture` stable-diffusion-v2… /
 * -xl…), or a UNet cross-attention (attn2) to_k / to_v module whose lora_down reads text embeddings of
 * another base's width (SD 2.x: 1024, SDXL: 2048; SD1.5's are 768). Such a file has SD1.5's module names, so every loader
 * maps its keys; diffusers then stops at a size mismatch (toonlora generate says so).
 */
export function otherBaseEvidence(
  metadata: Readonly<Record<string, string>>,
  modules: readonly OtherBaseModule[],
): OtherBase | undefined {
  const evidence: string[] = [];
  const bases = new Set<string>();
  const version = metadata.ss_base_model_version?.trim() ?? '';
  const architecture = metadata['modelspec.architecture']?.trim() ?? '';
  if (metadata.ss_v2?.trim().toLowerCase() === 'true') {
    evidence.push('ss_v2 = True');
    bases.add('SD 2.x');
  }
  if (/^sd_?v?2/i.test(version) || /^sdxl/i.test(version)) {
    evidence.push(`ss_base_model_version ${version}`);
    bases.add(/^sdxl/i.test(version) ? 'SDXL' : 'SD 2.x');
  }
  if (/^stable-diffusion-(v2|xl)/i.test(architecture)) {
    evidence.push(`modelspec.architecture ${architecture}`);
    bases.add(/^stable-diffusion-xl/i.test(architecture) ? 'SDXL' : 'SD 2.x');
  }
  const wide = modules.find(
    (m) =>
      m.component === 'unet' &&
      /\.attn2\.to_[kv]$/.test(m.path) &&
      m.down.shape.length === 2 &&
      TEXT_WIDTH_BASES[m.down.shape[1] as number] !== undefined,
  );
  if (wide) {
    const width = wide.down.shape[1] as number;
    evidence.push(`${wide.path} reads ${width}-wide text embeddings (SD1.5's are ${SD15_TEXT_WIDTH})`);
    bases.add(TEXT_WIDTH_BASES[width] as string);
  }
  if (evidence.length === 0) return undefined;
  return { base: [...bases].join(' or '), evidence };
}
