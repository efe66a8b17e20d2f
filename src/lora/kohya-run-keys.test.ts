// Tests for kohya-run-keys.ts and the kohya keys a trained LoRA now records: ss_sd_model_name without a local path
// (before: `/home/alice/models/myAnimeMix_v3.safetensors` as typed), the base's hashes, ss_bucket_info in kohya's
// json.dumps form, the run settings kohya writes, modelspec.prediction_type `v` for a v-prediction run (before: always
// epsilon) and a float32 alpha written as kohya does (before: 0.10000000149011612 for 0.1).
import { describe, expect, it } from 'vitest';
import { baseNetworkMetadata } from './convert-plan.js';
import { buildKohyaMetadata, loraTrainingFactsSchema } from './kohya-metadata.js';
import { kohyaBucketInfo, publicBaseName } from './kohya-run-keys.js';

const network = { rank: 16, alpha: 8, dora: false };
const date = '2026-01-02T03:04:05.000Z';

describe('ss_sd_model_name', () => {
  it('names a local base by its file or folder name, a Hub or registry id as it is', () => {
    expect(publicBaseName('/home/alice/models/myAnimeMix_v3.safetensors')).toBe('myAnimeMix_v3.safetensors');
    expect(publicBaseName('~/models/mix.ckpt')).toBe('mix.ckpt');
    expect(publicBaseName('./models/my-diffusers-mix/')).toBe('my-diffusers-mix');
    expect(publicBaseName('C:\\Users\\alice\\mix.safetensors')).toBe('mix.safetensors');
    expect(publicBaseName('models/mix.safetensors')).toBe('mix.safetensors');
    expect(publicBaseName('owner/name')).toBe('owner/name');
    expect(publicBaseName(`owner/name@${'a'.repeat(40)}`)).toBe(`owner/name@${'a'.repeat(40)}`);
    expect(publicBaseName('anything-v5')).toBe('anything-v5');
  });

  it("never writes the user's home path; a local file's hashes as kohya's ss_sd_model_hash / ss_new_sd_model_hash", () => {
    const meta = buildKohyaMetadata(
      loraTrainingFactsSchema.parse({
        baseModel: '/home/alice/models/myAnimeMix_v3.safetensors',
        baseModelHash: '0123abcd',
        baseModelSha256: 'e'.repeat(64),
      }),
      network,
      date,
    );
    expect(meta.ss_sd_model_name).toBe('myAnimeMix_v3.safetensors');
    expect(meta.ss_sd_model_hash).toBe('0123abcd');
    expect(meta.ss_new_sd_model_hash).toBe('e'.repeat(64));
    expect(JSON.stringify(meta)).not.toContain('alice');
  });
});

describe('run settings and buckets', () => {
  it("writes kohya's run keys in its formats", () => {
    const meta = buildKohyaMetadata(
      loraTrainingFactsSchema.parse({
        seed: 42,
        batchSize: 2,
        gradientAccumulation: 4,
        lrScheduler: 'cosine_with_restarts',
        lrWarmupSteps: 50,
        shuffleCaptions: true,
        aspectRatioBuckets: true,
        cacheLatents: false,
        maxTrainSteps: 1500,
        numEpochs: 12,
        sessionId: 3141592653,
        optimizer: 'torch.optim.adamw.AdamW',
        maxGradNorm: 1,
        maxTokenLength: 75,
      }),
      network,
      date,
    );
    expect(meta).toMatchObject({
      ss_seed: '42',
      ss_batch_size_per_device: '2',
      ss_total_batch_size: '8',
      ss_gradient_accumulation_steps: '4',
      ss_lr_scheduler: 'cosine_with_restarts',
      ss_lr_warmup_steps: '50',
      ss_shuffle_caption: 'True',
      ss_enable_bucket: 'True',
      ss_cache_latents: 'False',
      ss_max_train_steps: '1500',
      ss_num_epochs: '12',
      ss_session_id: '3141592653',
      ss_optimizer: 'torch.optim.adamw.AdamW',
      ss_max_grad_norm: '1.0',
      ss_max_token_length: 'None',
    });
  });

  it("ss_bucket_info is kohya's json.dumps text, which the WebUI's resolution list reads", () => {
    const info = {
      buckets: [
        { resolution: [384, 640] as [number, number], count: 10 },
        { resolution: [512, 512] as [number, number], count: 25 },
      ],
      mean_img_ar_error: 0.0125,
    };
    const text = kohyaBucketInfo(info);
    // what Python's json.dumps({"buckets": {0: {"resolution": (384, 640), "count": 10}, ...}, ...}) prints
    expect(text).toBe(
      '{"buckets": {"0": {"resolution": [384, 640], "count": 10}, "1": {"resolution": [512, 512], "count": 25}}, "mean_img_ar_error": 0.0125}',
    );
    expect(JSON.parse(text).buckets['1'].resolution).toEqual([512, 512]);
    const meta = buildKohyaMetadata(loraTrainingFactsSchema.parse({ bucketInfo: info }), network, date);
    expect(meta.ss_bucket_info).toBe(text);
    expect(kohyaBucketInfo({ buckets: [], mean_img_ar_error: 0 })).toBe(
      '{"buckets": {}, "mean_img_ar_error": 0.0}',
    );
  });

  it('modelspec.prediction_type is v for a v-prediction run, epsilon otherwise', () => {
    const v = buildKohyaMetadata(
      loraTrainingFactsSchema.parse({ predictionType: 'v_prediction' }),
      network,
      date,
    );
    expect(v['modelspec.prediction_type']).toBe('v');
    const eps = buildKohyaMetadata(
      loraTrainingFactsSchema.parse({ predictionType: 'epsilon' }),
      network,
      date,
    );
    expect(eps['modelspec.prediction_type']).toBe('epsilon');
  });
});

describe('ss_network_alpha without training facts', () => {
  it('is the shortest decimal of the float32 alpha, as kohya writes it', () => {
    expect(baseNetworkMetadata({}, 4, Math.fround(0.1)).ss_network_alpha).toBe('0.1');
    expect(baseNetworkMetadata({}, 4, 16).ss_network_alpha).toBe('16.0');
    expect(baseNetworkMetadata({}, 4, Math.fround(2.3)).ss_network_alpha).toBe('2.3');
  });
});
