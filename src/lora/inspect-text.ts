// src/lora/inspect-text.ts — the human text of an inspection (pure): header facts, modules grouped by
// (rank, alpha, scale) — LoKr: by (w1, w2 factor shapes, alpha, scale) — with counts per UNet region,
// or a per-module table when the values vary a lot, trigger / tags / metadata, loader verdicts,
// unknown keys and warnings. `--json` prints the result itself.
import { formatBytes } from '../format-bytes.js';
import type { InspectModule, InspectResult } from './inspect.js';
import type { LokrFactorInfo } from './lokr.js';
import { blockOf } from './sd15-modules.js';

/** Above this many (rank, alpha, scale) groups the modules are listed one per line instead. */
const MAX_GROUPS = 6;
/** Keys listed in the text before "... N more (--json lists all)". */
const SHOWN_KEYS = 10;
/** Order of the regions in a group line; others follow by name. */
const REGION_ORDER = ['down', 'mid', 'up', 'te'];

export interface ModuleGroup {
  readonly rank: number;
  readonly alpha: number;
  readonly scale: number;
  readonly count: number;
  /** Modules per region (down / mid / up / te, or the block name outside SD1.5's UNet), in region order. */
  readonly perRegion: ReadonlyArray<readonly [string, number]>;
}

/** The coarse region of a module: down / mid / up blocks of the UNet, te for the text encoder. */
export function regionOf(component: string, path: string): string {
  if (component === 'text_encoder') return 'te';
  const block = blockOf('unet', path);
  if (block.startsWith('down_blocks.')) return 'down';
  if (block.startsWith('up_blocks.')) return 'up';
  return block === 'mid_block' ? 'mid' : block;
}

const roundScale = (scale: number) => Number(scale.toPrecision(6));

function regionRank(region: string): number {
  const i = REGION_ORDER.indexOf(region);
  return i < 0 ? REGION_ORDER.length : i;
}

/** Modules grouped by (rank, alpha, scale), largest group first; ties by rank then alpha. */
export function groupModules(modules: readonly InspectModule[]): ModuleGroup[] {
  const groups = new Map<
    string,
    { rank: number; alpha: number; scale: number; regions: Map<string, number> }
  >();
  for (const m of modules) {
    const scale = roundScale(m.scale);
    const id = `${m.rank}/${m.alpha}/${scale}`;
    const group = groups.get(id) ?? { rank: m.rank, alpha: m.alpha, scale, regions: new Map() };
    const region = regionOf(m.component, m.path);
    group.regions.set(region, (group.regions.get(region) ?? 0) + 1);
    groups.set(id, group);
  }
  return [...groups.values()]
    .map(({ regions, ...g }) => ({
      ...g,
      count: [...regions.values()].reduce((a, b) => a + b, 0),
      perRegion: [...regions].sort(
        ([a], [b]) => regionRank(a) - regionRank(b) || (a < b ? -1 : a > b ? 1 : 0),
      ),
    }))
    .sort((a, b) => b.count - a.count || a.rank - b.rank || a.alpha - b.alpha);
}

/** One line per group: `rank 32 alpha 16 scale 0.5: 128 modules (down 48, mid 8, up 72)`. */
function groupLines(groups: readonly ModuleGroup[]): string[] {
  return groups.map(
    (g) =>
      `    rank ${g.rank} alpha ${g.alpha} scale ${g.scale}: ${g.count} module${g.count === 1 ? '' : 's'} (${g.perRegion
        .map(([r, n]) => `${r} ${n}`)
        .join(', ')})`,
  );
}

/** A compact table, one module a line, for files whose modules have many different values. */
function moduleTable(modules: readonly InspectModule[]): string[] {
  const cells = modules.map((m) => [String(m.rank), String(m.alpha), String(roundScale(m.scale)), m.name]);
  const width = (col: number) =>
    Math.max(['rank', 'alpha', 'scale'][col]?.length ?? 0, ...cells.map((c) => c[col]?.length ?? 0));
  const widths = [width(0), width(1), width(2)];
  const row = (c: readonly string[]) =>
    `    ${c
      .slice(0, 3)
      .map((v, i) => v.padStart(widths[i] as number))
      .join('  ')}  ${c[3]}`;
  return [row(['rank', 'alpha', 'scale', 'module']), ...cells.map(row)];
}

function moduleLines(result: InspectResult): string[] {
  if (result.modules.length === 0) return ['  modules: 0 (no LoRA module)'];
  const groups = groupModules(result.modules);
  const head = `  modules: ${result.modules.length}   ranks: ${result.ranks.join(', ')}   alphas: ${result.alphas.join(', ')}`;
  const blocks = `  per block: ${Object.entries(result.modulesPerBlock)
    .map(([b, n]) => `${b} ${n}`)
    .join(', ')}`;
  if (groups.length <= MAX_GROUPS)
    return [head, '  rank / alpha / scale (alpha / rank):', ...groupLines(groups), blocks];
  return [
    head,
    `  per module (${groups.length} different rank / alpha / scale):`,
    ...moduleTable(result.modules),
    blocks,
  ];
}

/** A LoKr factor: `[16, 16] full`, or `[20, 20] rank 4` (lokr_wN_a @ lokr_wN_b). */
export function describeFactor(factor: LokrFactorInfo): string {
  const shape = `[${factor.shape.join(', ')}]`;
  return factor.decomposed ? `${shape} rank ${factor.rank}` : `${shape} full`;
}

/** `w1 [16, 16] full x w2 [20, 20] rank 4` for a LoKr module (empty for a LoRA one). */
function factorsText(m: InspectModule): string {
  return m.lokr ? `w1 ${describeFactor(m.lokr.w1)} x w2 ${describeFactor(m.lokr.w2)}` : '';
}

/** LoKr modules grouped by (factors, alpha, scale): `w1 [16, 16] full x w2 [20, 20] rank 4, alpha 4 scale 1: 32 modules (down 32)`. */
function lokrModuleLines(result: InspectResult): string[] {
  const groups = new Map<string, { text: string; count: number; regions: Map<string, number> }>();
  for (const m of result.modules) {
    const text = `${factorsText(m)}, alpha ${m.alpha} scale ${roundScale(m.scale)}`;
    const group = groups.get(text) ?? { text, count: 0, regions: new Map<string, number>() };
    const region = regionOf(m.component, m.path);
    group.regions.set(region, (group.regions.get(region) ?? 0) + 1);
    group.count++;
    groups.set(text, group);
  }
  const factor = result.lokrFactor === undefined ? '' : `   factor: ${result.lokrFactor}`;
  const head = `  modules: ${result.modules.length}${factor}   alphas: ${result.alphas.join(', ')}`;
  const blocks = `  per block: ${Object.entries(result.modulesPerBlock)
    .map(([b, n]) => `${b} ${n}`)
    .join(', ')}`;
  const scaleRule =
    result.format === 'kohya'
      ? '  delta W = kron(w1, w2) * scale; scale = alpha / rank of the decomposed factor, 1 when both factors are full (alpha unused):'
      : "  delta W = kron(w1, w2) * scale; scale = PEFT's alpha / r:";
  const lines = [...groups.values()].sort((a, b) => b.count - a.count || (a.text < b.text ? -1 : 1));
  if (lines.length <= MAX_GROUPS) {
    return [
      head,
      scaleRule,
      ...lines.map((g) => {
        const regions = [...g.regions]
          .sort(([a], [b]) => regionRank(a) - regionRank(b) || (a < b ? -1 : a > b ? 1 : 0))
          .map(([r, n]) => `${r} ${n}`)
          .join(', ');
        return `    ${g.text}: ${g.count} module${g.count === 1 ? '' : 's'} (${regions})`;
      }),
      blocks,
    ];
  }
  return [
    head,
    scaleRule,
    ...result.modules.map(
      (m) => `    ${factorsText(m)}, alpha ${m.alpha} scale ${roundScale(m.scale)}  ${m.name}`,
    ),
    blocks,
  ];
}

function listed(keys: readonly string[], label: string): string[] {
  const lines = keys.slice(0, SHOWN_KEYS).map((key) => `      ${label}: ${key}`);
  if (keys.length > SHOWN_KEYS) lines.push(`      ... ${keys.length - SHOWN_KEYS} more (--json lists all)`);
  return lines;
}

function compatibilityLines(result: InspectResult): string[] {
  const lines = ['  compatibility:'];
  for (const v of result.compatibility) {
    lines.push(
      `    ${v.loader.padEnd(9)} ${v.ok ? 'ok' : 'PROBLEM'}: ${v.mappedKeys} keys mapped, ${v.unmappedKeys.length} unmapped`,
    );
    // A file in no LoRA format lists its keys once, below, not once per loader.
    if (result.format !== 'unknown') lines.push(...listed(v.unmappedKeys, 'unmapped'));
    for (const note of v.notes) lines.push(`      note: ${note}`);
  }
  return lines;
}

function tagLines(result: InspectResult): string[] {
  const lines: string[] = [];
  if (result.trigger)
    lines.push(
      `  trigger: ${result.trigger}${result.triggerSource === 'dataset folders' ? ' (from the dataset folder names)' : ''}`,
    );
  // kohya's record of the base (a Hub base trained here: owner/name@<commit>, the weights it was trained on)
  const base = result.metadata.ss_sd_model_name;
  if (base) lines.push(`  base model: ${base}`);
  if (result.topTags.length > 0)
    lines.push(`  top tags: ${result.topTags.map((t) => `${t.tag} (${t.count})`).join(', ')}`);
  const metaKeys = Object.keys(result.metadata);
  if (metaKeys.length > 0)
    lines.push(
      `  metadata: ${metaKeys.length} keys (${metaKeys.slice(0, 8).join(', ')}${metaKeys.length > 8 ? ', ...' : ''})`,
    );
  return lines;
}

/** How the header line names an algorithm other than plain LoRA. */
const ALGORITHM_TEXT: Readonly<Record<InspectResult['algorithm'], string>> = {
  lora: '',
  lokr: '   algorithm: lokr (LyCORIS Kronecker product)',
  loha: '   algorithm: loha (LyCORIS Hadamard product)',
  full: '   algorithm: full (LyCORIS whole-weight differences)',
};

/** For a run folder: which of its files this is, and what the PEFT adapter beside it is for. */
function runFolderLines(result: InspectResult): string[] {
  if (!result.runFolder) return [];
  return [
    `  run folder ${result.runFolder.folder}: inspected its kohya file, the one A1111, ComfyUI and diffusers load`,
    `  (the PEFT adapter beside it, ${result.runFolder.adapter}, is for PEFT and train --resume)`,
  ];
}

/** Human summary of an inspection, for the CLI. */
export function formatInspection(result: InspectResult): string {
  // a file with no tensors has no dtypes: say so rather than print an empty field
  const dtypes =
    Object.entries(result.dtypes)
      .map(([d, n]) => `${d} x${n}`)
      .join(', ') || 'none';
  const lines = [
    `${result.file}`,
    ...runFolderLines(result),
    `  format: ${result.format}${ALGORITHM_TEXT[result.algorithm]}${result.unreadModules === undefined ? '' : `   modules: ${result.unreadModules} (not read by toonlora)`}   size: ${formatBytes(result.sizeBytes)}   tensors: ${result.tensorCount}   dtypes: ${dtypes}`,
    ...(result.algorithm === 'lokr' ? lokrModuleLines(result) : moduleLines(result)),
    ...tagLines(result),
    ...compatibilityLines(result),
  ];
  if (result.unknownKeys.length > 0) {
    lines.push(
      `  unmapped keys (in no ${result.algorithm === 'lokr' ? 'LoKr' : 'LoRA'} module): ${result.unknownKeys.length}`,
    );
    lines.push(...listed(result.unknownKeys, 'key'));
  }
  for (const w of result.warnings) lines.push(`  warning: ${w}`);
  return lines.join('\n');
}
