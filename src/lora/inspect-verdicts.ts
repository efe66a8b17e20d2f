// src/lora/inspect-verdicts.ts — what inspect.ts adds to a file's loader verdicts (diffusers' misread
// alphas, text_model targets and 1x1 convolutions; an SDXL LoRA's verdicts all off) and its warnings, as data
// (inspect-warnings.ts words them): an SDXL LoRA or another base model, non-SD1.5 modules, unknown keys, no LoRA at
// all; a LoKr file's mixed-in LoRA tensors.
import { conv1x1Shapes } from './convert-plan.js';
import type { InspectModule } from './inspect.js';
import {
  type AlphaModule,
  diffusersMisreadAlphas,
  diffusersMissesTextModelTargets,
  type MisreadAlpha,
} from './loader-compat.js';
import { type InspectWarning, moduleNotes, notes } from './inspect-warnings.js';
import type { LokrModel } from './lokr.js';
import { kohyaModuleName } from './lora-keys.js';
import { doraModuleNotes, type LoraModel, type LoraModule } from './lora-model.js';
import { otherBaseEvidence } from './other-base.js';
import { SDXL_VERDICT_NOTE, sdxlSignals } from './sdxl-check.js';
import { describeUnknownKey, unreadAdapter } from './unknown-keys.js';
import { type LoaderFindings, namesToonloraWayOut, type VerdictNote } from './verdict-notes.js';

/** `verdicts` with the diffusers verdict not ok, `note` added to it. */
function diffusersNoted(verdicts: LoaderFindings[], note: VerdictNote): LoaderFindings[] {
  return verdicts.map((v) => (v.loader === 'diffusers' ? { ...v, ok: false, notes: [...v.notes, note] } : v));
}

/**
 * diffusers gives some modules of a kohya file their component's most common alpha instead of their own
 * (UNet attention and text-encoder modules, and modules without `.alpha`; diffusers-alphas.ts
 * `diffusersMisreadAlphas`). A1111 and ComfyUI read each module's alpha.
 */
export function withAlphaPatternNote(
  verdicts: LoaderFindings[],
  format: string,
  modules: readonly AlphaModule[],
): LoaderFindings[] {
  if (format !== 'kohya') return verdicts;
  const misread = diffusersMisreadAlphas(modules, true);
  if (misread.length === 0) return verdicts;
  return diffusersNoted(verdicts, {
    kind: 'kohya-alphas',
    count: misread.length,
    first: misread[0] as MisreadAlpha,
  });
}

/** The diffusers verdict of a file whose metadata names `text_model.` text-encoder targets (see loader-diffusers.ts). */
export function withTextModelTargetNote(
  verdicts: LoaderFindings[],
  metadata: Readonly<Record<string, string>>,
): LoaderFindings[] {
  if (!diffusersMissesTextModelTargets(metadata)) return verdicts;
  return diffusersNoted(verdicts, { kind: 'text-model-targets' });
}

/**
 * The diffusers verdict of a file storing 1x1-convolution modules (proj_in, proj_out, conv_shortcut) as
 * 2-D weights (convert-plan.ts `conv1x1Shapes`): load_lora_weights raises a size mismatch on them.
 */
export function withConv1x1Note(
  verdicts: LoaderFindings[],
  modules: readonly LoraModule[],
): LoaderFindings[] {
  const flat = modules
    .filter((m) => conv1x1Shapes(m) !== undefined)
    .map((m) => kohyaModuleName(m.component, m.path));
  if (flat.length === 0) return verdicts;
  return diffusersNoted(verdicts, { kind: 'conv1x1', flat });
}

/**
 * Every verdict of an SDXL LoRA ({@link sdxlSignals} not empty): not ok, whatever maps, since the keys
 * are checked against SD1.5 names (lora_te1_ maps onto SD1.5's text encoder in every loader). Notes
 * whose way out is toonlora's convert or generate go: both refuse an SDXL file.
 */
export function withSdxlNote(verdicts: LoaderFindings[], sdxl: readonly string[]): LoaderFindings[] {
  if (sdxl.length === 0) return verdicts;
  return verdicts.map((v) => ({
    ...v,
    ok: false,
    notes: [...v.notes.filter((n) => !namesToonloraWayOut(n)), { kind: 'text', text: SDXL_VERDICT_NOTE }],
  }));
}

/** How many modules are not SD1.5's, as a warning (undefined when all are). */
function notSd15Warning(modules: readonly InspectModule[]): InspectWarning | undefined {
  const notSd15 = modules.filter((m) => !m.sd15).length;
  return notSd15 > 0 ? { kind: 'not-sd15', count: notSd15 } : undefined;
}

/** The tensors that belong to no `adapter` module, by kind (undefined when there are none). */
function unknownKeysWarning(
  unknownKeys: readonly string[],
  adapter: 'LoRA' | 'LoKr',
  sdxl: readonly string[],
): InspectWarning | undefined {
  if (unknownKeys.length === 0) return undefined;
  const kinds = [...new Set(unknownKeys.map(describeUnknownKey))].join('; ');
  return { kind: 'unknown-keys', count: unknownKeys.length, kinds, adapter, sdxl: sdxl.length > 0 };
}

/** An SDXL LoRA, else a LoRA for another base model (metadata, text width), as a warning (undefined: neither). */
function otherBaseWarning(
  metadata: Readonly<Record<string, string>>,
  modules: Parameters<typeof otherBaseEvidence>[1],
  sdxl: readonly string[],
): InspectWarning | undefined {
  if (sdxl.length > 0) return { kind: 'sdxl', signals: sdxl };
  const found = otherBaseEvidence(metadata, modules);
  return found && { kind: 'other-base', ...found };
}

/**
 * Warnings (as data: inspect-warnings.ts words them) about what loaders and convert will not take: an SDXL LoRA,
 * non-SD1.5 modules, a LoRA for another base model (metadata, text width), unknown keys, no LoRA at all. `sdxl`: the
 * file's {@link sdxlSignals}.
 */
export function inspectionWarnings(
  model: LoraModel,
  modules: readonly InspectModule[],
  metadata: Readonly<Record<string, string>>,
  sdxl: readonly string[],
): InspectWarning[] {
  const warnings = moduleNotes(model.warnings, doraModuleNotes(model.modules, model.format));
  const otherBase = otherBaseWarning(metadata, model.modules, sdxl);
  if (otherBase) warnings.push(otherBase);
  if (model.format === 'unknown') {
    warnings.push(
      model.unknownKeys.length === 0
        ? { kind: 'no-tensors' }
        : { kind: 'no-lora-keys', unmapped: model.unknownKeys.length },
    );
    return warnings;
  }
  if (model.modules.length === 0) {
    const other = unreadAdapter(model.unknownKeys);
    warnings.push(
      other ? { kind: 'unread-adapter', description: other.description } : { kind: 'no-complete-module' },
    );
    return warnings;
  }
  const notSd15 = notSd15Warning(modules);
  if (notSd15) warnings.push(notSd15);
  const unknown = unknownKeysWarning(model.unknownKeys, 'LoRA', sdxl);
  if (unknown) warnings.push(unknown);
  return warnings;
}

/**
 * Warnings (as data) about a LoKr file: module warnings, an SDXL LoRA or another base model, non-SD1.5 modules,
 * unknown keys, LoRA tensors mixed in.
 */
export function lokrWarnings(
  model: LokrModel,
  modules: readonly InspectModule[],
  metadata: Readonly<Record<string, string>>,
  sdxl: readonly string[],
): InspectWarning[] {
  const warnings = notes(model.warnings);
  const otherBase = otherBaseWarning(metadata, [], sdxl);
  if (otherBase) warnings.push(otherBase);
  const notSd15 = notSd15Warning(modules);
  if (notSd15) warnings.push(notSd15);
  if (model.loraKeys.length > 0) {
    warnings.push({
      kind: 'lora-in-lokr',
      count: model.loraKeys.length,
      example: model.loraKeys[0] as string,
    });
  }
  const unknown = unknownKeysWarning(model.unknownKeys, 'LoKr', sdxl);
  if (unknown) warnings.push(unknown);
  return warnings;
}
