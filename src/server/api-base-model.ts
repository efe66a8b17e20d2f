// src/server/api-base-model.ts — which base models a job submitted over the API may name (pure). The
// CLI takes any local path; the API does not, so a client cannot make the server open (or probe for)
// arbitrary server paths: only registry ids, `tiny` and Hugging Face ids, which the server's jobs read from
// the Hub cache only, never as a folder of that name (models/base-model.ts `fromApi`).
import { ToonloraError } from '../errors.js';
import { registryBaseModelIds } from '../models/base-model.js';

/** `owner/name` as the Hub spells it: letters, digits, `_`, `-`, `.`; neither part starts with `.`. */
const HF_ID = /^[A-Za-z0-9_-][\w.-]*\/[A-Za-z0-9_-][\w.-]*$/;
/** Suffixes the trainer loads as a single local file, never as a Hub id. */
const LOCAL_FILE = /\.(safetensors|ckpt)$/i;

/** True when `value` is a base model the API accepts (a registry base's id, `tiny`, Hugging Face `owner/name`). */
export function isApiBaseModel(value: string): boolean {
  if (value === 'tiny' || registryBaseModelIds().includes(value)) return true;
  return HF_ID.test(value) && !value.includes('..') && !LOCAL_FILE.test(value);
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
    `${field}: "${value.slice(0, 120)}" is not a base model the API accepts. Give a Hugging Face id (owner/name, in the local Hub cache), a registry base (${registryBaseModelIds().join(', ')}) or tiny; server file paths are refused (use the CLI's --base for a local file).`,
    { details: { fields: [field] } },
  );
}
