// src/schemas/api-common.ts — what every REST API schema shares: the id and time fields, the error body, log levels,
// and `unknownRequestKeys`, the check that a request body holds only keys its schema knows (zod objects drop the
// others, so a typo would run the default). Re-exported by src/schemas/api.ts.
import { z } from 'zod';
import { findUnknownKeys, objectShape, type UnknownKey } from './unknown-keys.js';

/** The id of a character, image, job, dataset or artifact, in paths and bodies. */
export const apiIdSchema = z.string().min(1).max(64);
const id = apiIdSchema;
export const isoTimeSchema = z.string();
/** How much a log line matters: `warn` lines are what the user should read (the web app lists them). */
export const logLevelSchema = z.enum(['debug', 'info', 'warn']);

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

export const idParamsSchema = z.object({ id });

/** The option of a discriminated union (`kind`) that `input` names; the schema itself for anything else. */
function schemaFor(schema: z.ZodType, input: unknown): z.ZodType {
  const def = schema._zod.def as { type: string; options?: z.ZodType[]; discriminator?: string };
  const tagKey = def.discriminator;
  if (def.type !== 'union' || !tagKey || typeof input !== 'object' || input === null) return schema;
  const tag = (input as Record<string, unknown>)[tagKey];
  const named = def.options?.find((option) => {
    const literal = objectShape(option)?.[tagKey]?._zod.def as { values?: unknown[] } | undefined;
    return literal?.values?.includes(tag) ?? false;
  });
  return named ?? schema;
}

/**
 * The keys of a request body that its schema does not have (`params.training.stpes`), each with the key
 * most likely meant (`params.training.steps`): the same check the CLI runs on config files
 * (unknown-keys.ts), since zod would drop them and the job would run the default instead.
 * A discriminated union (the job kinds) is checked against the option its tag names.
 */
export function unknownRequestKeys(schema: z.ZodType, input: unknown): UnknownKey[] {
  return findUnknownKeys(input, schemaFor(schema, input));
}
