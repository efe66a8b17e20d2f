// test/config-schema-export.test.ts — the Python worker's copy of the config schemas
// (trainer/toonlora_trainer/config_schema.json) is the export of the current src/schemas, never an older one.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  buildConfigSchemaExport,
  CONFIG_SCHEMA_PATH,
  configSchemaExportText,
  EXPORT_COMMAND,
} from '../scripts/export-config-schema.js';
import { IMAGE_EXTENSIONS } from '../src/prep/inputs.js';
import { STAGING_DIR } from '../src/prep/output-swap.js';
import {
  TRAINING_SAMPLE_GUIDANCE_SCALE,
  TRAINING_SAMPLE_STEPS,
  trainingConfigSchema,
} from '../src/schemas/config.js';

describe('config_schema.json for the Python worker', () => {
  it('equals a fresh export of src/schemas/config.ts', () => {
    const committed = readFileSync(CONFIG_SCHEMA_PATH, 'utf8');
    const stale = `${CONFIG_SCHEMA_PATH} differs from src/schemas/config.ts: run \`${EXPORT_COMMAND}\` and commit the file`;
    const fresh = configSchemaExportText();
    expect(JSON.parse(committed), stale).toEqual(JSON.parse(fresh)); // shows which value changed
    expect(committed === fresh, stale).toBe(true);
  });

  it('says what generated it and carries the bounds, enums and defaults the worker checks', () => {
    const exported = buildConfigSchemaExport() as {
      generated_by: string;
      trainingConfig: { properties: Record<string, Record<string, unknown>> };
      defaults: { trainingConfig: Record<string, unknown> };
    };
    expect(exported.generated_by).toContain(`do not edit, run: ${EXPORT_COMMAND}`);
    const fields = exported.trainingConfig.properties;
    expect(fields.sampleEverySteps).toMatchObject({ type: 'integer', minimum: 0, maximum: 10_000_000 });
    expect(fields.lrScheduler?.enum).toEqual(trainingConfigSchema.shape.lrScheduler.unwrap().options);
    // resolved as the worker receives it: alpha explicit, the length in steps
    expect(exported.defaults.trainingConfig).toMatchObject({
      lora: { rank: 32, alpha: 32 },
      steps: 1500,
      epochs: null,
    });
  });

  it('carries the names the dataset scan shares with prep and the sample images settings (no Python copies)', () => {
    const exported = buildConfigSchemaExport() as {
      prep: { imageExtensions: string[]; stagingDir: string };
      defaults: { trainingSamples: { steps: number; guidanceScale: number } };
    };
    expect(exported.prep).toEqual({ imageExtensions: [...IMAGE_EXTENSIONS], stagingDir: STAGING_DIR });
    expect(exported.defaults.trainingSamples).toEqual({
      steps: TRAINING_SAMPLE_STEPS,
      guidanceScale: TRAINING_SAMPLE_GUIDANCE_SCALE,
    });
  });
});
