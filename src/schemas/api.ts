// src/schemas/api.ts — zod schemas of the REST API (requests, responses, job events), shared by the
// server (validation + OpenAPI via z.toJSONSchema) and the web app (types). No defaults are
// retyped here: training / generation settings reuse src/schemas/config.ts. Request bodies hold only keys
// their schema knows (`unknownRequestKeys`): zod objects drop the others, so a typo would run the default.
// One module per concern, all importable from here: api-common.ts (ids, errors, unknown request keys),
// api-characters.ts (characters, screenshots), api-jobs.ts (jobs, events), api-datasets.ts, api-artifacts.ts
// (artifacts, LoRAs, health, base models).
export * from './api-artifacts.js';
export * from './api-characters.js';
export * from './api-common.js';
export * from './api-datasets.js';
export * from './api-jobs.js';
