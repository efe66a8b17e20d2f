// web/src/pages/train.tsx — the training form (defaults from the shared config schema), the live loss
// chart, it/s and ETA, sample images as they appear, cancel and resume.
import { type FormEvent, useEffect, useState } from 'react';
import type { Character, Dataset, Job } from '../../../src/schemas/api.js';
import { LORA_ALGORITHMS, trainingConfigSchema } from '../../../src/schemas/config.js';
import { api } from '../api.js';
import { JobStatusLine } from '../components/job-status.js';
import { LossChart } from '../components/loss-chart.js';
import { useJob } from '../components/use-job.js';

const DEFAULTS = trainingConfigSchema.parse({});
type LoraAlgorithm = (typeof LORA_ALGORITHMS)[number];
const ALGORITHM_LABELS: Record<LoraAlgorithm, string> = {
  lora: 'LoRA',
  lokr: 'LoKr (LyCORIS Kronecker product: smaller, usually a higher learning rate)',
};

interface TrainForm {
  baseModel: string;
  algorithm: LoraAlgorithm;
  rank: number;
  alpha: string;
  steps: number;
  learningRate: number;
  snrGamma: number;
  noiseOffset: number;
  resolution: number;
}

const INITIAL: TrainForm = {
  baseModel: DEFAULTS.baseModel,
  algorithm: DEFAULTS.lora.algorithm,
  rank: DEFAULTS.lora.rank,
  alpha: '',
  steps: DEFAULTS.steps,
  learningRate: DEFAULTS.learningRate,
  snrGamma: DEFAULTS.snrGamma,
  noiseOffset: DEFAULTS.noiseOffset,
  resolution: DEFAULTS.resolution,
};

const NUMBER_FIELDS: Array<[keyof TrainForm, string, number]> = [
  ['rank', 'Rank', 1],
  ['steps', 'Steps', 1],
  ['learningRate', 'Learning rate', 1e-6],
  ['snrGamma', 'Min-SNR gamma', 0.1],
  ['noiseOffset', 'Noise offset', 0.01],
  ['resolution', 'Resolution', 8],
];

export function TrainPage({
  character,
  onError,
}: {
  character: Character;
  onError: (error: unknown) => void;
}) {
  const [datasets, setDatasets] = useState<Dataset[]>([]);
  const [datasetId, setDatasetId] = useState('');
  const [form, setForm] = useState<TrainForm>(INITIAL);
  const [job, setJob] = useState<Job | null>(null);
  const [attempt, setAttempt] = useState(0);
  const view = useJob(job?.id ?? null, attempt);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(() => {
    api.datasets(character.id).then((list) => {
      setDatasets(list);
      setDatasetId(list[list.length - 1]?.id ?? '');
    }, onError);
    api.jobs(character.id).then((jobs) => setJob(jobs.find((j) => j.kind === 'train') ?? null), onError);
  }, [character.id]);

  const start = async (event: FormEvent) => {
    event.preventDefault();
    try {
      const training = {
        baseModel: form.baseModel,
        steps: form.steps,
        learningRate: form.learningRate,
        snrGamma: form.snrGamma,
        noiseOffset: form.noiseOffset,
        resolution: form.resolution,
        lora: {
          algorithm: form.algorithm,
          rank: form.rank,
          ...(form.alpha ? { alpha: Number(form.alpha) } : {}),
        },
      };
      setJob(
        await api.submitJob({ kind: 'train', characterId: character.id, params: { datasetId, training } }),
      );
    } catch (error) {
      onError(error);
    }
  };
  const act = async (action: 'cancel' | 'resume') => {
    if (!job) return;
    try {
      setJob(await (action === 'cancel' ? api.cancelJob(job.id) : api.resumeJob(job.id)));
      if (action === 'resume') setAttempt((n) => n + 1);
    } catch (error) {
      onError(error);
    }
  };
  const status = view.status ?? job?.status;
  const total = view.progress?.total ?? form.steps;

  return (
    <section className="two-col">
      <form className="panel form-grid" onSubmit={start}>
        <h3>Train a LoRA</h3>
        <label>
          Dataset
          <select value={datasetId} onChange={(e) => setDatasetId(e.target.value)} required>
            {datasets.map((d, i) => (
              <option key={d.id} value={d.id}>
                v{i + 1} ({d.itemCount - d.excludedCount} images)
              </option>
            ))}
          </select>
        </label>
        <label>
          Base model
          <input
            name="baseModel"
            value={form.baseModel}
            onChange={(e) => setForm({ ...form, baseModel: e.target.value })}
          />
        </label>
        <label>
          Adapter
          <select
            name="algorithm"
            value={form.algorithm}
            onChange={(e) => setForm({ ...form, algorithm: e.target.value as LoraAlgorithm })}
          >
            {LORA_ALGORITHMS.map((a) => (
              <option key={a} value={a}>
                {ALGORITHM_LABELS[a]}
              </option>
            ))}
          </select>
        </label>
        {NUMBER_FIELDS.map(([key, label, step]) => (
          <label key={key}>
            {label}
            <input
              name={key}
              type="number"
              step={step}
              value={form[key] as number}
              onChange={(e) => setForm({ ...form, [key]: Number(e.target.value) })}
            />
          </label>
        ))}
        <label>
          Alpha
          <input
            name="alpha"
            type="number"
            placeholder={`= rank (${form.rank})`}
            value={form.alpha}
            onChange={(e) => setForm({ ...form, alpha: e.target.value })}
          />
        </label>
        <button type="submit" disabled={!datasetId || status === 'running' || status === 'queued'}>
          Start training
        </button>
      </form>
      <div className="panel">
        <h3>Progress</h3>
        {job ? (
          <>
            <JobStatusLine view={view} />
            <LossChart points={view.losses} totalSteps={total} />
            <div className="row">
              {(status === 'running' || status === 'queued') && (
                <button type="button" className="secondary" onClick={() => act('cancel')}>
                  Cancel
                </button>
              )}
              {(status === 'interrupted' || status === 'cancelled' || status === 'failed') && (
                <button type="button" onClick={() => act('resume')}>
                  Resume from checkpoint
                </button>
              )}
              {status === 'succeeded' && <a href={`#/c/${character.id}/lora`}>Open the LoRA →</a>}
            </div>
            <div className="thumbs samples" data-testid="samples">
              {view.samples.map((s) => (
                <figure key={s.url}>
                  <img src={s.url} alt={`sample at step ${s.step}`} />
                  <figcaption>step {s.step}</figcaption>
                </figure>
              ))}
            </div>
          </>
        ) : (
          <p className="muted">No training yet.</p>
        )}
      </div>
    </section>
  );
}
