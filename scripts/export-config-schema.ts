// scripts/export-config-schema.ts — writes trainer/toonlora_trainer/config_schema.json: the JSON Schema of each
// config the Python worker parses (resolved training config, generation config, BLIP request), their defaults, the
// registry facts it names and the prep layout it reads (image extensions, staging folder), so
// trainer/toonlora_trainer/config.py and data.py read enums, bounds, defaults and names from src/ (STYLE §2, rule 3)
// instead of copies. Run after changing a schema or one of those constants:
//   npx tsx scripts/export-config-schema.ts
// test/config-schema-export.test.ts fails while the committed file differs from a fresh export.
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { registryBaseModelId } from '../src/models/base-model.js';
import { getModelEntry } from '../src/models/registry.js';
import { IMAGE_EXTENSIONS } from '../src/prep/inputs.js';
import { STAGING_DIR } from '../src/prep/output-swap.js';
import {
  DEFAULT_BASE_MODEL,
  effectiveLoraAlpha,
  generationConfigSchema,
  TRAINING_SAMPLE_GUIDANCE_SCALE,
  TRAINING_SAMPLE_STEPS,
  trainingConfigSchema,
} from '../src/schemas/config.js';
import {
  architectureSchema,
  blipRequestSchema,
  resolvedTrainingConfigSchema,
} from '../src/worker/protocol-requests.js';

/** The command that rewrites the file; the freshness test names it. */
export const EXPORT_COMMAND = 'npx tsx scripts/export-config-schema.ts';

/** Where the trainer package reads it (next to config.py; the worker runs from trainer/, nothing installs it). */
export const CONFIG_SCHEMA_PATH = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  'trainer',
  'toonlora_trainer',
  'config_schema.json',
);

/** The BLIP captioner the prep stage runs by default (registry entry `blip-base`). */
const BLIP_MODEL_ID = 'blip-base';

function huggingFaceRepo(id: string): string {
  const { source } = getModelEntry(id);
  if (source.kind !== 'huggingface') throw new Error(`${id}: expected a Hugging Face model in the registry`);
  return source.repo;
}

/** The default training config as the worker receives it: alpha = rank, the length in steps (epochs null). */
function resolvedTrainingDefaults(): z.output<typeof resolvedTrainingConfigSchema> {
  const defaults = trainingConfigSchema.parse({});
  return resolvedTrainingConfigSchema.parse({
    ...defaults,
    lora: { ...defaults.lora, alpha: effectiveLoraAlpha(defaults.lora) },
    epochs: null,
  });
}

/** The exported object: JSON Schemas (zod's z.toJSONSchema of the parsed output), defaults, registry facts and the
 * prep layout. */
export function buildConfigSchemaExport(): Record<string, unknown> {
  const schemaOf = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'output' });
  const baseModelId = registryBaseModelId(DEFAULT_BASE_MODEL);
  if (baseModelId === undefined)
    throw new Error(`${DEFAULT_BASE_MODEL}: the default base is not in the registry`);
  return {
    generated_by: `scripts/export-config-schema.ts from src/schemas/config.ts, src/worker/protocol-requests.ts and src/prep/; do not edit, run: ${EXPORT_COMMAND}`,
    trainingConfig: schemaOf(resolvedTrainingConfigSchema),
    generationConfig: schemaOf(generationConfigSchema),
    blipRequest: schemaOf(blipRequestSchema),
    architectures: architectureSchema.options,
    defaults: {
      trainingConfig: resolvedTrainingDefaults(),
      generationConfig: generationConfigSchema.parse({}),
      trainingSamples: { steps: TRAINING_SAMPLE_STEPS, guidanceScale: TRAINING_SAMPLE_GUIDANCE_SCALE },
    },
    registry: {
      defaultBaseModel: DEFAULT_BASE_MODEL,
      defaultBaseModelId: baseModelId,
      blipModel: huggingFaceRepo(BLIP_MODEL_ID),
      blipModelId: BLIP_MODEL_ID,
    },
    // what `toonlora prep` writes that the dataset scan reads: the extensions it walks (src/prep/inputs.ts) and
    // the staging folder a killed run leaves in its output folder (src/prep/output-swap.ts)
    prep: { imageExtensions: [...IMAGE_EXTENSIONS], stagingDir: STAGING_DIR },
  };
}

/** The file's text: 2-space JSON and a final newline. */
export function configSchemaExportText(): string {
  return `${JSON.stringify(buildConfigSchemaExport(), null, 2)}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  writeFileSync(CONFIG_SCHEMA_PATH, configSchemaExportText());
  console.log(`wrote ${CONFIG_SCHEMA_PATH}`);
}
