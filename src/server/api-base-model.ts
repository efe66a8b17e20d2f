// src/server/api-base-model.ts — which base models a job submitted over the API may name (pure). The
// CLI takes any local path; the API does not, so a client cannot make the server open (or probe for)
// arbitrary server paths: only registry ids, `tiny` and Hugging Face ids, which the server's jobs read from
// the Hub cache only, never as a folder of that name (models/base-model.ts `fromApi`); and the list of them
// the Train form offers (GET /api/base-models).
import { ToonloraError } from '../errors.js';
import { type BaseModelChoice, registryBaseModelIds } from '../models/base-model.js';
import { parseHubBase } from '../models/base-revision.js';
import type { ModelStatus } from '../models/model-status.js';

/** `owner/name` as the Hub spells it: letters, digits, `_`, `-`, `.`; neither part starts with `.`. */
const HF_ID = /^[A-Za-z0-9_-][\w.-]*\/[A-Za-z0-9_-][\w.-]*$/;
/** Suffixes the trainer loads as a single local file, never as a Hub id. */
const LOCAL_FILE = /\.(safetensors|ckpt)$/i;

/**
 * True when `value` is a base model the API accepts (a registry base's id, `tiny`, Hugging Face `owner/name`, also
 * at a revision: `owner/name@REV`, models/base-revision.ts).
 */
export function isApiBaseModel(value: string): boolean {
  if (value === 'tiny' || registryBaseModelIds().includes(value)) return true;
  const repo = parseHubBase(value)?.repo ?? value;
  return HF_ID.test(repo) && !repo.includes('..') && !LOCAL_FILE.test(repo);
}

/**
 * Checks the base model of a job submitted over the API.
 * @param field the request field, e.g. `params.generation.baseModel` (named in the message)
 * @throws ToonloraError TL_ERR_USAGE (400) naming the field, the value and what is accepted
 */
export function checkApiBaseModel(field: string, value: string): void {
  if (isApiBaseModel(value)) return;
  throw new ToonloraError(
    'TL_ERR_USAGE',
    `${field}: "${value.slice(0, 120)}" is not a base model the API accepts. Give a Hugging Face id (owner/name or owner/name@REV, in the local Hub cache), a registry base (${registryBaseModelIds().join(', ')}) or tiny; server file paths are refused (only the command line trains or generates from a local file).`,
    { details: { fields: [field] } },
  );
}

/**
 * The bases the Train / Generate forms offer: the registry's and `tiny` (`registryChoices`, base-model.ts
 * baseModelChoices, tiny last), with the SD1.5 bases by Hub id (`models list`'s hub rows) before tiny. Only a
 * complete snapshot is offered: a half-pulled one would fail the job (checkBaseModelOnDisk), and the Models page
 * offers its resume.
 */
export function apiBaseModelChoices(
  registryChoices: readonly BaseModelChoice[],
  hubBases: readonly Pick<ModelStatus, 'id' | 'present' | 'revisions'>[],
): BaseModelChoice[] {
  // a repo pulled at other refs than main: each as `owner/name@<ref>` (main's as `owner/name`)
  const names = (status: Pick<ModelStatus, 'id' | 'revisions'>) =>
    (status.revisions ?? ['main']).map((ref) => (ref === 'main' ? status.id : `${status.id}@${ref}`));
  const hub = hubBases
    .filter((status) => status.present)
    .flatMap(names)
    .map(
      (name): BaseModelChoice => ({
        name,
        aliases: [name],
        present: true,
        description: 'SD1.5 base pulled from the Hugging Face Hub (diffusers layout)',
      }),
    );
  const tiny = registryChoices.filter((choice) => choice.name === 'tiny');
  return [...registryChoices.filter((choice) => choice.name !== 'tiny'), ...hub, ...tiny];
}
