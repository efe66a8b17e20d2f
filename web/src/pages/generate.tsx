// web/src/pages/generate.tsx — generate with a LoRA: prompt (trigger pre-filled), negative prompt,
// weight slider, seed, steps, several seeds as a grid, and a weight sweep (0.4 / 0.7 / 1.0). Cancel stops
// the image being rendered at its next sampling step; a sweep keeps the weights already done.
import { type FormEvent, useEffect, useState } from 'react';
import type { Artifact, Character, GenerationTiming, Job } from '../../../src/schemas/api.js';
import { generationConfigSchema } from '../../../src/schemas/config.js';
import { api } from '../api.js';
import { JobStatusLine } from '../components/job-status.js';
import { useJob } from '../components/use-job.js';

const DEFAULTS = generationConfigSchema.parse({});
const SWEEP = [0.4, 0.7, 1.0];

export function GeneratePage({
  character,
  onError,
}: {
  character: Character;
  onError: (error: unknown) => void;
}) {
  const [loras, setLoras] = useState<Artifact[]>([]);
  const [loraId, setLoraId] = useState('');
  const [prompt, setPrompt] = useState(`${character.trigger}, 1${character.classWord}, upper body, smiling`);
  const [negative, setNegative] = useState(DEFAULTS.negativePrompt);
  const [weight, setWeight] = useState(DEFAULTS.loraWeight);
  const [seed, setSeed] = useState(DEFAULTS.seeds[0] ?? 42);
  const [count, setCount] = useState(2);
  const [steps, setSteps] = useState(DEFAULTS.steps);
  const [sweep, setSweep] = useState(false);
  const [job, setJob] = useState<Job | null>(null);
  const [images, setImages] = useState<Artifact[]>([]);
  const view = useJob(job?.id ?? null);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(() => {
    api.artifacts({ characterId: character.id, kind: 'lora' }).then((list) => {
      setLoras(list);
      setLoraId(list[list.length - 1]?.id ?? '');
    }, onError);
  }, [character.id]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: refresh results when the job finishes
  useEffect(() => {
    if (job && (view.status === 'succeeded' || view.status === 'cancelled')) {
      api.job(job.id).then(setJob, onError);
      api.artifacts({ jobId: job.id, kind: 'image' }).then(setImages, onError);
    }
  }, [view.status]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setImages([]);
    try {
      const lora = loras.find((l) => l.id === loraId);
      // Generate with the base the LoRA was trained on, at its training resolution.
      const baseModel = typeof lora?.meta.baseModel === 'string' ? lora.meta.baseModel : undefined;
      const size = typeof lora?.meta.resolution === 'number' ? lora.meta.resolution : undefined;
      const generation = {
        prompt,
        negativePrompt: negative,
        loraWeight: weight,
        steps,
        seeds: Array.from({ length: count }, (_, i) => seed + i),
        ...(baseModel ? { baseModel } : {}),
        ...(size ? { width: size, height: size } : {}),
      };
      setJob(
        await api.submitJob({
          kind: 'generate',
          characterId: character.id,
          params: { ...(loraId ? { loraId } : {}), generation, ...(sweep ? { weights: SWEEP } : {}) },
        }),
      );
    } catch (error) {
      onError(error);
    }
  };

  const cancel = async () => {
    if (!job) return;
    try {
      setJob(await api.cancelJob(job.id));
    } catch (error) {
      onError(error);
    }
  };

  const status = view.status ?? job?.status;
  const timing = job?.result?.timing as GenerationTiming | undefined;
  const weights = [...new Set(images.map((i) => Number(i.meta.weight)))];
  const seeds = [...new Set(images.map((i) => Number(i.meta.seed)))];

  return (
    <section className="two-col">
      <form className="panel form-grid" onSubmit={submit}>
        <h3>Generate</h3>
        <label>
          LoRA
          <select value={loraId} onChange={(e) => setLoraId(e.target.value)}>
            <option value="">(none: base model only)</option>
            {loras.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
          </select>
        </label>
        <label className="wide">
          Prompt
          <textarea name="prompt" rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
        </label>
        <label className="wide">
          Negative prompt
          <textarea name="negative" rows={2} value={negative} onChange={(e) => setNegative(e.target.value)} />
        </label>
        <label>
          LoRA weight <b>{weight.toFixed(2)}</b>
          <input
            type="range"
            min={0}
            max={1.5}
            step={0.05}
            value={weight}
            disabled={sweep}
            onChange={(e) => setWeight(Number(e.target.value))}
          />
        </label>
        <label>
          Seed
          <input type="number" value={seed} onChange={(e) => setSeed(Number(e.target.value))} />
        </label>
        <label>
          Steps
          <input
            name="steps"
            type="number"
            min={1}
            value={steps}
            onChange={(e) => setSteps(Number(e.target.value))}
          />
        </label>
        <label>
          Images
          <input
            type="number"
            min={1}
            max={8}
            value={count}
            onChange={(e) => setCount(Number(e.target.value))}
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={sweep} onChange={(e) => setSweep(e.target.checked)} /> Weight sweep{' '}
          {SWEEP.join(' / ')}
        </label>
        <button type="submit">Generate</button>
      </form>
      <div className="panel">
        <h3>Results</h3>
        {job && <JobStatusLine view={view} />}
        {(status === 'running' || status === 'queued') && (
          <button type="button" className="secondary" onClick={cancel}>
            Cancel
          </button>
        )}
        {timing && (
          <p className="muted small" data-testid="timing">
            {timing.warm ? 'warm worker' : `base loaded in ${(timing.loadMs / 1000).toFixed(1)} s`} · LoRA
            swap {timing.loraSwapMs.toFixed(0)} ms · generation {(timing.generateMs / 1000).toFixed(1)} s
          </p>
        )}
        {images.length > 0 && (
          <div
            className="sweep"
            style={{ gridTemplateColumns: `repeat(${weights.length}, max-content)` }}
            data-testid="results"
          >
            {weights.map((w) => (
              <h4 key={w}>weight {w}</h4>
            ))}
            {seeds.flatMap((seedValue) =>
              weights.map((w) => {
                const image = images.find(
                  (i) => Number(i.meta.weight) === w && Number(i.meta.seed) === seedValue,
                );
                return image ? (
                  <figure key={image.id}>
                    <img src={image.url} alt={`seed ${seedValue}, weight ${w}`} />
                    <figcaption>
                      seed {seedValue} · weight {w}
                    </figcaption>
                  </figure>
                ) : (
                  <span key={`${seedValue}-${w}`} />
                );
              }),
            )}
          </div>
        )}
      </div>
    </section>
  );
}
