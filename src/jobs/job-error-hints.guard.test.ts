// src/jobs/job-error-hints.guard.test.ts — a guard: no text the web app shows for a failure or a prep's stage
// choice names a CLI flag or command (`--base`, ` -o `, `toonlora …`), except the deliberate command a remote
// worker's owner runs "on the worker's machine". It words every fix kind (with each of its variants), for a server
// job and a remote worker's, around the CLI messages the raise sites build, and every stage reason prep records
// without its models or with models that do not load (the Upload page's Stages used, its no-tags warning, the
// announcement lines a prep job logs), the submit refusals (4xx) the web app's forms show, and lists every offender.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ErrorFix, errorFixSchema, FIX_SLOT } from '../error-fix.js';
import { ToonloraError } from '../errors.js';
import {
  INSPECT_WARNING_WORDS,
  type InspectWarning,
  inspectWarningTexts,
  type InspectWarningWords,
  warningInWords,
} from '../lora/inspect-warnings.js';
import { inspectLoraFindings } from '../lora/inspect.js';
import {
  type FixtureTensor,
  makeLokrTensors,
  makePeftTensors,
  seededRandom,
  writeFixtureFile,
} from '../lora/lora-fixtures.js';
import { INSPECT_VERDICT_NOTE_WORDS, verdictInWords } from '../lora/verdict-notes.js';
import { checkApiBaseModel } from '../server/api-base-model.js';
import { defaultLoraTools } from '../server/lora-tools.js';
import {
  inspectPanelVerdicts,
  inspectPanelWarnings,
  UPLOAD_WARNING_WORDS,
  uploadRefusalMessage,
} from '../server/lora-upload-refusal.js';
import { checkQueueAdmission } from './queue-admission.js';
import { MODEL_REGISTRY } from '../models/registry.js';
import { fallenBackCaptioner, shortCaptionError } from '../prep/deferred-captions.js';
import { outDirError } from '../prep/out-dir.js';
import { parsePrepConfig } from '../prep/pipeline.js';
import { resolveStages } from '../prep/run-stages.js';
import { PERSON_DETECTOR_CACHED } from '../prep/auto-stage-reasons.js';
import { type StageChoiceWithParts, stageChoice } from '../stage-reason.js';
import { dataFolderWriteError } from './data-folder-write.js';
import { checkExportImages } from './kohya-export.js';
import { checkStoredLora } from './runners/generate-runner.js';
import { stageInput } from './runners/prep-runner.js';
import { buildProgram } from '../cli/program.js';
import { CLI_SUBCOMMANDS, cliWordsIn, type FailureSite, webMessage } from './job-error-hints.js';
import { webReason, webStageReason } from './web-stage-words.js';

const PULL_MESSAGE =
  'isnet-anime: isnet-anime.onnx is not downloaded (looked in /tmp/d/isnet-anime.onnx). Run: toonlora models pull isnet-anime';
const REPULL_MESSAGE =
  'nobody/half (/h/snap): cannot load its tokenizer. Delete /h/snap/tokenizer/vocab.json and run `toonlora models pull nobody/half` again.';
const NOT_PULLED_MESSAGE = `anything-v5: base model not found on this machine (not downloaded yet). Run \`toonlora models pull anything-v5\` first, or ${FIX_SLOT}`;
const DISK_FULL_MESSAGE = `/r/checkpoints: could not write checkpoint step-000004: no space left on the disk (ENOSPC); the partial file was removed. Free some space on it, then ${FIX_SLOT} continue from /r/checkpoints/step-000002.`;

/**
 * Each fix kind and variant with a message as its raise sites build it (its text, which the CLI's fix words complete);
 * a kind added to errorFixSchema must be added here: the first test says so.
 */
const CASES: ReadonlyArray<readonly [ErrorFix, string]> = [
  [{ kind: 'pull-model', id: 'isnet-anime' }, PULL_MESSAGE],
  [{ kind: 'repull-model', id: 'nobody/half' }, REPULL_MESSAGE],
  [{ kind: 'choose-base', why: 'path' }, '/models/b: No such folder.'],
  [{ kind: 'choose-base', why: 'file' }, '/models/b.safetensors: base checkpoint file not found.'],
  [{ kind: 'choose-base', why: 'not-pulled', pull: 'anything-v5' }, NOT_PULLED_MESSAGE],
  [{ kind: 'choose-base', why: 'lora' }, 'l.safetensors: made for SDXL, the base is SD1.5.'],
  [{ kind: 'resume' }, DISK_FULL_MESSAGE],
  [
    { kind: 'resume-or-new-run' },
    "/r: holds an earlier run's checkpoints (newest: /r/checkpoints/step-000002, step 2).",
  ],
  [
    { kind: 'shorter-warmup', count: 'epochs' },
    'config.lrWarmupSteps: 50 warmup steps leave none of the 40 training steps (2 epochs) at the full rate.',
  ],
  [
    { kind: 'shorter-warmup', count: 'steps' },
    'config.lrWarmupSteps: 8 warmup steps leave none of the 8 training steps at the full rate.',
  ],
  [{ kind: 'writable-output', folder: 'run' }, '/r: /r is not writable (EACCES: permission denied).'],
  [{ kind: 'writable-output', folder: 'output' }, '/o: /o is not writable (EACCES: permission denied).'],
  [{ kind: 'writable-output', folder: 'dataset' }, '/d: the output folder is not empty.'],
  [
    { kind: 'writable-output', folder: 'data' },
    'cannot write to the data folder /srv/d (EACCES: permission denied at /srv/d/jobs/a).',
  ],
  [
    { kind: 'writable-output', folder: 'data', full: true },
    'cannot write to the data folder /srv/d: no space left on the disk (ENOSPC).',
  ],
];

const SITES: readonly FailureSite[] = [{}, { worker: 'gpu-box' }];

describe('web failure texts name no CLI flag or command', () => {
  it('covers every fix kind of errorFixSchema', () => {
    const kinds = errorFixSchema.options.map((option) => option.shape.kind.value);
    expect(new Set(CASES.map(([fix]) => fix.kind))).toEqual(new Set(kinds));
  });

  it('the checker finds the CLI words it guards against', () => {
    expect(
      cliWordsIn('Add --resume to continue it, or choose another -o. Run: toonlora models pull x'),
    ).toEqual(['--resume', '-o', 'toonlora models']);
    expect(cliWordsIn("pull it on the worker's machine (toonlora models pull x there).")).toEqual([]);
    expect(cliWordsIn('a run-once step -offset')).toEqual([]);
  });

  it("knows a command by the CLI program's subcommands, not by the word toonlora", () => {
    const program = buildProgram().commands.map((command) => command.name());
    expect([...CLI_SUBCOMMANDS].sort()).toEqual([...program].sort());
    for (const name of program)
      expect(cliWordsIn(`run toonlora ${name} first`)).toEqual([`toonlora ${name}`]);
    expect(cliWordsIn('an SD1.5 LoRA toonlora can generate with; toonlora is SD1.5 only')).toEqual([]);
    expect(cliWordsIn('toonlora generates with SD1.5 base models only')).toEqual([]);
    expect(cliWordsIn('make a copy with convert --to diffusers')).toEqual(['--to']);
  });

  it("every fix kind, for a server job and a remote worker's", () => {
    const offenders: string[] = [];
    for (const [fix, message] of CASES)
      for (const site of SITES) {
        const details = site.worker === undefined ? undefined : { remoteWorker: site.worker };
        const text = site.worker === undefined ? message : `worker ${site.worker}: ${message}`;
        const web = webMessage(new ToonloraError('TL_ERR_WORKER', text, { fix, details }));
        const found = cliWordsIn(web);
        if (found.length > 0)
          offenders.push(`${JSON.stringify(fix)} ${site.worker ?? 'server'}: ${found} in "${web}"`);
      }
    expect(offenders).toEqual([]);
  });

  it('a data folder write refused or out of room, from its raise site (a 500 and a failed job)', () => {
    for (const code of ['EACCES', 'ENOSPC']) {
      const refused = Object.assign(new Error(code), { code, path: '/srv/d/jobs/a' });
      const named = dataFolderWriteError(refused, '/srv/d');
      expect(named?.message).toContain('start serve with another --data folder.'); // the operator's words, logged
      expect(cliWordsIn(webMessage(named))).toEqual([]);
    }
  });

  it("a prep's output folder error from its raise site", () => {
    const web = webMessage(outDirError('/data/jobs/j1/dataset', 'the folder is not empty'));
    expect(cliWordsIn(web)).toEqual([]);
  });

  it("the Models page's 'without it' of every registry model", () => {
    const offenders = [...MODEL_REGISTRY.values()].flatMap((entry) =>
      cliWordsIn(entry.webWhenMissing).map((words) => `${entry.id}: ${words}`),
    );
    expect(offenders).toEqual([]);
  });

  it('a deleted screenshot, dataset image or LoRA file, from their raise sites', async () => {
    const failures = await Promise.all([
      stageInput('/nonexistent/u1.png', '/nonexistent/001-a.png', 'a.png').catch((error: unknown) => error),
      checkExportImages('/nonexistent', 'd1', [
        { key: '001-a', source: 'a.png', imagePath: 'jobs/j/a.png', caption: 'c', excluded: false },
      ]).catch((error: unknown) => error),
      Promise.resolve()
        .then(() => checkStoredLora('/nonexistent/l.safetensors', 'mina'))
        .catch((error: unknown) => error),
    ]);
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(ToonloraError);
      expect(cliWordsIn(webMessage(failure))).toEqual([]);
    }
  });
});

/** A toonlora home whose model cache holds `files` (registry path -> text). */
function homeWith(files: Record<string, string>) {
  const home = mkdtempSync(join(tmpdir(), 'toonlora-guard-home-'));
  for (const [path, text] of Object.entries(files)) {
    const target = join(home, 'models', path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, text);
  }
  return { env: { TOONLORA_HOME: home, HF_HOME: join(home, 'no-hf') } };
}

const NOT_ONNX = 'this is not an ONNX model\n';
const CACHES = {
  empty: homeWith({}),
  'not loadable': homeWith({
    'isnet-anime/isnet-anime.onnx': NOT_ONNX,
    'wd-vit-tagger-v3/model.onnx': NOT_ONNX,
    'wd-vit-tagger-v3/selected_tags.csv': 'tag_id,name,category,count\n',
    'anime-person-detector/person_detect_v1.3_s/model.onnx': NOT_ONNX,
    'lama/lama_fp32.onnx': NOT_ONNX,
  }),
  'cut-off BLIP': homeWith({
    'blip-base/config.json': '{}',
    'blip-base/preprocessor_config.json': '{}',
    'blip-base/model.safetensors': 'x'.repeat(1_000_000),
    'blip-base/vocab.txt': '{}',
  }),
};

/** Each CLI word the web app's text of each stage choice (as a job's result carries it) names, with where. */
function stageOffenders(choices: Record<string, StageChoiceWithParts | null>): string[] {
  return Object.entries(choices).flatMap(([where, choice]) => {
    if (choice === null) return [];
    // through JSON, as the server sends a prep job's result
    const web = webStageReason(JSON.parse(JSON.stringify(choice)));
    return cliWordsIn(web).map((words) => `${where}: ${words} in "${web}"`);
  });
}

describe('web stage reasons of a prep name no CLI flag or command', () => {
  it('the guard finds a CLI flag or command planted in a reason', () => {
    expect(
      stageOffenders({
        planted: stageChoice('classic', [
          'auto: ',
          { kind: 'pull-model', id: 'u2net' },
          '; or --segmenter u2net',
        ]),
        // a reason recorded before the parts: a plain fallback when it names a command (webStageReason)
        older: { name: 'classic', reason: 'run `toonlora models pull isnet-anime`' },
        olderPlain: { name: 'blip', reason: 'auto: BLIP weights are in the model cache' },
      }),
    ).toEqual(['planted: --segmenter in "auto: pulling u2net on the Models page; or --segmenter u2net"']);
  });

  for (const [name, cache] of Object.entries(CACHES))
    it(`every auto choice and announcement, with models ${name}`, async () => {
      const config = parsePrepConfig({ characters: 'all' });
      const stages = await resolveStages({ inputs: [], outDir: '/nonexistent', cache }, config);
      const person = stages.person?.choice ?? null;
      const choices = {
        segmenter: stages.segmenter.choice,
        captioner: stages.captioner.choice,
        textRemover: stages.text.remover.choice,
        personDetector: person,
        // the manifest's record of a split by mask parts (pipeline.ts)
        maskParts:
          person &&
          stageChoice('mask-parts', [
            'split by separate mask parts; ',
            ...(person.reasonParts ?? [person.reason]),
          ]),
      };
      // a reason that names something to do (a pull, a removal) records it as data too
      expect(Object.values(choices).filter((choice) => choice?.reasonParts).length).toBeGreaterThan(0);
      const announced = stages.announcements.flatMap((line) =>
        cliWordsIn(webReason(line)).map((words) => `announcement: ${words} in "${webReason(line)}"`),
      );
      expect([...stageOffenders(choices), ...announced]).toEqual([]);
      // a model file that is there but does not load is damaged, not missing (it said "not downloaded on the server")
      if (name === 'not loadable')
        expect(webStageReason(choices.segmenter)).toBe(
          'auto: isnet-anime failed to load: isnet-anime on the server is damaged or incomplete (a file in it cannot be read): Remove it on the Models page, then pull it again.',
        );
    });

  it('the person detector in use, and captions BLIP failed to write', () => {
    const blip = { name: 'blip', reason: 'auto: BLIP weights are in the model cache' };
    const pullFix = { kind: 'pull-model', id: 'blip-base' } as const;
    const missing = new ToonloraError(
      'TL_ERR_MODEL_MISSING',
      'blip-base: not downloaded. Run: toonlora models pull blip-base',
      { fix: pullFix },
    );
    expect(
      stageOffenders({
        personDetector: stageChoice('anime-person-detector', PERSON_DETECTOR_CACHED),
        failed: fallenBackCaptioner(blip, shortCaptionError(new Error('CUDA out of memory'))),
        missing: fallenBackCaptioner(blip, shortCaptionError(missing)),
      }),
    ).toEqual([]);
  });
});

describe('submit refusals a web page shows name no CLI flag or command', () => {
  it('a full queue (Build, Train, Generate, Resume) and a file path typed as the Base model', () => {
    const refusals = [
      () => checkQueueAdmission({ closing: false, queued: () => 2, maxQueued: 2 }),
      () => checkQueueAdmission({ closing: true, queued: () => 0, maxQueued: 2 }),
      () => checkApiBaseModel('params.generation.baseModel', '/models/b.safetensors'),
    ].map((refuse) => {
      try {
        refuse();
      } catch (error) {
        return error as ToonloraError;
      }
      throw new Error(`${refuse} refused nothing`);
    });
    expect(refusals.map((error) => error.httpStatus)).toEqual([429, 503, 400]);
    expect(refusals.flatMap((error) => cliWordsIn(error.message))).toEqual([]);
  });
});

/** One warning of each kind inspect records, with values as its raise sites give them (CLI words in the notes). */
const INSPECT_SAMPLES: readonly InspectWarning[] = [
  {
    kind: 'note',
    text: 'DoRA: 2 module(s) have a magnitude stored per input column ([1, in], LyCORIS wd_on_out=False; PEFT cannot hold it: convert --to kohya only) (e.g. x [1, 8]): convert --to diffusers and toonlora generate refuse the file.',
  },
  {
    kind: 'dora',
    axis: 'input columns',
    count: 2,
    example: 'lora_unet_x.dora_scale',
    shape: [1, 8],
    format: 'kohya',
  },
  { kind: 'sdxl', signals: ['ss_base_model_version "sdxl_base_v1-0"'] },
  { kind: 'other-base', base: 'SD 2.x', evidence: ['ss_v2 = True'] },
  { kind: 'no-tensors' },
  { kind: 'no-lora-keys', unmapped: 3 },
  {
    kind: 'unread-adapter',
    description:
      'a LyCORIS LoHa file (hada_w1_a …, 3 module(s)): toonlora reads LoRA, DoRA and LoKr; the WebUI and ComfyUI load LoHa',
  },
  { kind: 'no-complete-module' },
  { kind: 'not-sd15', count: 2 },
  {
    kind: 'unknown-keys',
    count: 2,
    kinds: 'PEFT LoRA biases (lora_bias=True) are not supported',
    adapter: 'LoRA',
    sdxl: false,
  },
  {
    kind: 'unknown-keys',
    count: 2,
    kinds: "SDXL's second text encoder (lora_te2_) is not supported (SD1.5 only)",
    adapter: 'LoRA',
    sdxl: true,
  },
  { kind: 'lora-in-lokr', count: 4, example: 'lora_unet_x.lora_down.weight' },
];

/** Each CLI word the LoRA upload's 422 message names for `warnings` worded by `words`. */
function refusalOffenders(warnings: readonly InspectWarning[], words: InspectWarningWords): string[] {
  return warnings.flatMap((warning) => {
    const message = uploadRefusalMessage('mina.safetensors', warningInWords(warning, words));
    return cliWordsIn(message).map((found) => `${warning.kind}: ${found} in "${message}"`);
  });
}

/** Each CLI word in `texts`, with the text it stands in. */
const offenders = (texts: readonly string[]) =>
  texts.flatMap((text) => cliWordsIn(text).map((found) => `${found} in "${text}"`));

/** LoRA files made elsewhere that generate cannot use (an SDXL one; an SD 2.x one, a bias tensor and a tensor of
 * no module, refused for their tensors of no module), written into a new folder under `label`: each one's path. */
async function unusableLoraFiles(label: string): Promise<Array<[name: string, path: string]>> {
  const dir = mkdtempSync(join(tmpdir(), `toonlora-guard-${label}-`));
  const modules = ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'];
  const lora = makePeftTensors({ modules, rank: 4, seed: 1, prefix: 'unet.' });
  const bias = {
    name: `unet.${modules[0]}.lora_B.bias`,
    dtype: 'F32' as const,
    shape: [2],
    data: new Float32Array(2),
  };
  const files: Record<string, [FixtureTensor[], Record<string, string>]> = {
    'xl.safetensors': [lora, { ss_base_model_version: 'sdxl_base_v1-0' }],
    // made for SD 2.x, refused for its tensors of no module (its base alone is no refusal)
    'sd2.safetensors': [[...lora, bias], { ss_v2: 'True' }],
    'bias.safetensors': [[...lora, bias], {}],
    'other.safetensors': [[{ ...bias, name: 'model.weight' }], {}],
  };
  const paths: Array<[string, string]> = [];
  for (const [name, [tensors, metadata]] of Object.entries(files)) {
    await writeFixtureFile(join(dir, name), tensors, metadata);
    paths.push([name, join(dir, name)]);
  }
  return paths;
}

describe("the LoRA upload's refusals (422) name no CLI flag or command", () => {
  it('covers every kind of inspect warning', () => {
    expect(new Set(INSPECT_SAMPLES.map((warning) => warning.kind))).toEqual(
      new Set(Object.keys(INSPECT_WARNING_WORDS)),
    );
    // inspect's own words name the CLI's way out, so the check has something to find there
    expect(refusalOffenders(INSPECT_SAMPLES, INSPECT_WARNING_WORDS).length).toBeGreaterThan(3);
  });

  it('the guard finds a CLI flag or command planted in a refusal', () => {
    const planted = {
      ...UPLOAD_WARNING_WORDS,
      'no-complete-module': () => 'run toonlora convert --to diffusers.',
    };
    const message =
      'mina.safetensors: not an SD1.5 LoRA toonlora can generate with, so nothing was stored: run toonlora convert --to diffusers.';
    expect(refusalOffenders([{ kind: 'no-complete-module' }], planted)).toEqual([
      `no-complete-module: toonlora convert in "${message}"`,
      `no-complete-module: --to in "${message}"`,
    ]);
  });

  it('every kind of inspect warning, in the words of the upload', () => {
    expect(refusalOffenders(INSPECT_SAMPLES, UPLOAD_WARNING_WORDS)).toEqual([]);
  });

  it('the refusals of files generate cannot use, from the raise site', async () => {
    const messages: string[] = [];
    for (const [name, path] of await unusableLoraFiles('lora')) {
      const refused = await defaultLoraTools.checkUpload(path, name).then(
        () => expect.fail(`${name} was not refused`),
        (error: ToonloraError) => error,
      );
      expect(refused.httpStatus).toBe(422);
      messages.push(refused.message, ...(refused.details.warnings as string[]));
    }
    expect(offenders(messages)).toEqual([]);
  });
});

describe("the LoRA page's inspect panel (GET /api/loras/:id/inspect) words inspect's warnings for the web", () => {
  it('every kind but a module note, in the words of the upload', () => {
    const data = INSPECT_SAMPLES.filter((warning) => warning.kind !== 'note' && warning.kind !== 'dora');
    const texts = inspectPanelWarnings(data);
    expect(texts).toEqual(data.map((warning) => warningInWords(warning, UPLOAD_WARNING_WORDS)));
    expect(texts.flatMap((text) => cliWordsIn(text))).toEqual([]);
    // a note is text, not data: shown as inspect wrote it
    expect(inspectPanelWarnings([{ kind: 'note', text: 'alpha assumed' }])).toEqual(['alpha assumed']);
    // a DoRA note is data: the panel words its way out (inspect's names `convert --to`)
    const dora = INSPECT_SAMPLES.filter((warning) => warning.kind === 'dora');
    expect(inspectWarningTexts(dora).flatMap((text) => cliWordsIn(text))).toContain('--to');
    expect(inspectPanelWarnings(dora).flatMap((text) => cliWordsIn(text))).toEqual([]);
  });

  it("the route's warnings of files made elsewhere, from the raise site, keeping inspect's facts", async () => {
    const warnings: string[] = [];
    for (const [, path] of await unusableLoraFiles('inspect')) {
      const inspected = await defaultLoraTools.inspect(path);
      expect(inspected.moduleCount).toEqual(expect.any(Number));
      expect(inspected.compatibility).toEqual(expect.any(Array));
      warnings.push(...(inspected.warnings as string[]));
    }
    expect(warnings.length).toBeGreaterThanOrEqual(4);
    expect(offenders(warnings)).toEqual([]);
  });

  it("the route's loader verdict notes and module notes of files that raise them name no CLI command", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toonlora-guard-verdicts-'));
    const random = seededRandom(5);
    const tensor = (name: string, shape: number[], value?: number): FixtureTensor => ({
      name,
      dtype: 'F32',
      shape,
      data: Float32Array.from(
        { length: shape.reduce((a, b) => a * b, 1) },
        () => value ?? random() * 0.1 + 0.5,
      ),
    });
    const kohya = (module: string, features: number, alpha?: number) => [
      tensor(`${module}.lora_down.weight`, [4, features]),
      tensor(`${module}.lora_up.weight`, [features, 4]),
      ...(alpha === undefined ? [] : [tensor(`${module}.alpha`, [], alpha)]),
    ];
    const q = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
    const k = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_k';
    const modules = ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'];
    const te = 'lora_te_text_model_encoder_layers_0_self_attn';
    const block = 'down_blocks.0.attentions.0.transformer_blocks.0';
    const lokr = [
      { path: `${block}.attn1.to_q`, shapes: { lokr_w1: [16, 16], lokr_w2_a: [20, 4], lokr_w2_b: [4, 20] } },
    ];
    const files: Record<string, [FixtureTensor[], Record<string, string>]> = {
      // DoRA per output row (the diffusers copy keeps it) beside a module whose alpha is assumed; differing alphas
      'dora-rows.safetensors': [
        [...kohya(q, 320, 2), tensor(`${q}.dora_scale`, [320, 1]), ...kohya(k, 320)],
        {},
      ],
      // DoRA per input column: PEFT cannot hold it
      'dora-cols.safetensors': [[...kohya(q, 320, 2), tensor(`${q}.dora_scale`, [1, 320])], {}],
      'peft.safetensors': [makePeftTensors({ modules, rank: 4, seed: 1 }), {}],
      'lokr.safetensors': [makeLokrTensors(lokr, 3, 'kohya'), {}],
      'sd2.safetensors': [makePeftTensors({ modules, rank: 4, seed: 1, prefix: 'unet.' }), { ss_v2: 'True' }],
      'ldm-conv.safetensors': [kohya('lora_unet_input_blocks_1_1_proj_in', 320, 4), {}],
      'te-qv.safetensors': [[...kohya(`${te}_q_proj`, 768, 4), ...kohya(`${te}_v_proj`, 768, 4)], {}],
      'targets.safetensors': [
        makePeftTensors({ modules, rank: 4, seed: 1, prefix: 'unet.' }),
        {
          lora_adapter_metadata: JSON.stringify({
            'text_encoder.target_modules': ['text_model.encoder.layers.0.self_attn.q_proj'],
          }),
        },
      ],
    };
    const texts: string[] = [];
    const inspectTexts: string[] = [];
    for (const [name, [tensors, metadata]] of Object.entries(files)) {
      await writeFixtureFile(join(dir, name), tensors, metadata);
      const inspected = await defaultLoraTools.inspect(join(dir, name));
      const verdicts = inspected.compatibility as Array<{ notes: string[] }>;
      texts.push(...(inspected.warnings as string[]), ...verdicts.flatMap((v) => v.notes));
      const { result } = await inspectLoraFindings(join(dir, name));
      inspectTexts.push(...result.warnings, ...result.compatibility.flatMap((v) => v.notes));
    }
    // inspect's own words for the same files name the CLI's way out in every kind of note raised here
    const inCli = inspectTexts.filter((text) => cliWordsIn(text).length > 0);
    expect(inCli.length).toBeGreaterThanOrEqual(10);
    for (const kind of [
      'PEFT adapter keys',
      'LoKr:',
      'LDM UNet',
      '1x1-convolution',
      'text encoder:',
      "'text_model.'",
    ])
      expect(inCli.some((text) => text.includes(kind))).toBe(true);
    expect(inCli.filter((text) => text.startsWith('DoRA:')).length).toBeGreaterThanOrEqual(3);
    expect(texts.length).toBeGreaterThan(20);
    expect(offenders(texts)).toEqual([]);
  });

  it("the route's verdicts are inspect's, but for their notes' way out", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'toonlora-guard-verdicts-'));
    const path = join(dir, 'peft.safetensors');
    const modules = ['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q'];
    await writeFixtureFile(path, makePeftTensors({ modules, rank: 4, seed: 1 }));
    const { result, verdicts } = await inspectLoraFindings(path);
    expect(verdicts.map((v) => verdictInWords(v, INSPECT_VERDICT_NOTE_WORDS))).toEqual(result.compatibility);
    const panel = inspectPanelVerdicts(verdicts);
    expect(panel.map(({ notes: _n, ...rest }) => rest)).toEqual(
      result.compatibility.map(({ notes: _n, ...rest }) => rest),
    );
    expect(panel.find((v) => v.loader === 'diffusers')?.notes).toEqual([
      "PEFT adapter keys: load with PeftModel.from_pretrained, or use the LoRA page's diffusers download for load_lora_weights.",
      'no key maps to an SD1.5 module: load_lora_weights loads nothing.',
    ]);
  });
});
