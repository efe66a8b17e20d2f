// web/src/pages/train.tsx — the training form (defaults from the shared config schema; after a reload, the
// settings of the character's running train job, else its latest, which it reopens; the newest dataset
// version preselected),
// the live loss chart, it/s and ETA, sample images as they appear, cancel and resume. While no job runs it
// re-reads the character's jobs, so a run another tab started is followed, not queued twice. A finished run has
// "Delete this job" (asked first, use-job-delete.ts): its log, samples and checkpoints go, and the page shows the
// run it would reopen without it (else "No training yet."); a read of the jobs begun before the delete does not bring
// it back (newest-read.ts). A refusal (its LoRA still listed: delete that first) shows the server's words.
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { BaseModelChoice, Character, Dataset, Job } from '../../../src/schemas/api.js';
import { LORA_ALGORITHMS } from '../../../src/schemas/config.js';
import { isFinalStatus } from '../../../src/jobs/job-state.js';
import { api } from '../api.js';
import { onModelPulled } from '../models-api.js';
import { ActionButton, useFocusRescue } from '../components/action-button.js';
import { BaseModelNoteLine, BaseModelOptions } from '../components/base-model-hints.js';
import { type StartingBase, startingBaseModel } from '../components/base-model-start.js';
import { CancelButton } from '../components/cancel-button.js';
import { readUntilAnswered } from '../components/initial-read.js';
import { JobStatusLine } from '../components/job-status.js';
import { datasetVersionLabel, newestDatasetId, trainBlockReason } from '../components/dataset-versions.js';
import { CheckedImage } from '../components/full-size-image.js';
import { deleteTrainJobQuestion } from '../components/finished-job-delete.js';
import { JobDeleteButton } from '../components/job-delete-button.js';
import { JobLoraLink } from '../components/job-lora.js';
import { activeJobOf, jobToReopen, resumeLabel } from '../components/job-view.js';
import { LossChart } from '../components/loss-chart.js';
import { ifNewest, useNewestReads } from '../components/newest-read.js';
import {
  FORM_ERROR_ID,
  focusField,
  invalidFieldAttributes,
  NumberInput,
} from '../components/number-input.js';
import {
  ALPHA_FIELD,
  baseModelNote,
  INITIAL_TRAIN_FORM,
  type LoraAlgorithm,
  sampleNote,
  TRAIN_NUMBER_FIELDS,
  type TrainForm,
  trainFormFromParams,
  trainingFromForm,
  trainStepsOf,
} from '../components/train-form.js';
import { sampleLabel, sampleSettingsOf } from '../components/sample-labels.js';
import { useJob } from '../components/use-job.js';
import { useShownJobDelete } from '../components/use-job-delete.js';
import { useRemoteJob } from '../components/use-remote-job.js';
import { useSubmitOnce } from '../components/use-submit-once.js';

/** How often the page re-reads the character's jobs and datasets while no job runs. */
const JOBS_POLL_MS = 5000;

const ALGORITHM_LABELS: Record<LoraAlgorithm, string> = {
  lora: 'LoRA',
  lokr: 'LoKr (LyCORIS Kronecker product: smaller, usually a higher learning rate)',
};

export function TrainPage({
  character,
  onError,
}: {
  character: Character;
  onError: (error: unknown) => void;
}) {
  const [datasets, setDatasets] = useState<Dataset[]>([]);
  const [datasetId, setDatasetId] = useState('');
  /** Whether the user chose a version in this visit: then a newer one does not replace the choice. */
  const picked = useRef(false);
  const [form, setForm] = useState<TrainForm>(INITIAL_TRAIN_FORM);
  const [baseModels, setBaseModels] = useState<BaseModelChoice[]>([]);
  /** The base a fresh form was moved to because the default is not on the server, with why. */
  const [startBase, setStartBase] = useState<StartingBase | null>(null);
  /** Whether this character's fresh form was checked against the server's bases (once per visit). */
  const startChecked = useRef(false);
  const [formError, setFormError] = useState<string | null>(null);
  /** The field the form error is about (aria-invalid, focused). */
  const [invalidField, setInvalidField] = useState<string | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const { busy: starting, once } = useSubmitOnce();
  /** Whether the character's jobs were read: the empty state is shown only then, not while the server is unreachable. */
  const [loaded, setLoaded] = useState<'loading' | 'ok' | 'failed'>('loading');
  const [attempt, setAttempt] = useState(0);
  const view = useJob(job?.id ?? null, attempt);
  const remote = useRemoteJob(job?.id ?? null, view.status);
  /** Cancel (Resume) goes once the job stopped (started again): its focus moves to the button that replaced
   * it, else to the Progress heading. */
  const rescueFocus = useFocusRescue();
  const jobActions = useRef<HTMLDivElement>(null);
  const progressHeading = useRef<HTMLHeadingElement>(null);
  /** The reads of the character's train jobs that pick the job shown: a delete makes those begun before it stale. */
  const jobReads = useNewestReads();

  // Which bases the server has (a missing one is named under the field); without the list, no note. Read
  // again when the Models page of this browser (another tab) finishes a pull, and when this tab is shown again.
  useEffect(() => {
    const read = () => api.baseModels().then(setBaseModels, () => setBaseModels([]));
    const stopFirstRead = readUntilAnswered(
      () => api.baseModels(),
      setBaseModels,
      () => setBaseModels([]),
    );
    const onVisible = () => {
      if (document.visibilityState === 'visible') read();
    };
    document.addEventListener('visibilitychange', onVisible);
    const stopListening = onModelPulled(read);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      stopListening();
      stopFirstRead();
    };
  }, []);

  // A fresh form (no earlier run to reopen) starts on a base the server can run, saying why.
  // biome-ignore lint/correctness/useExhaustiveDependencies: checked once the jobs and the bases are read
  useEffect(() => {
    if (loaded !== 'ok' || baseModels.length === 0 || startChecked.current) return;
    startChecked.current = true;
    if (job || form.baseModel !== INITIAL_TRAIN_FORM.baseModel) return;
    const start = startingBaseModel(form.baseModel, baseModels);
    setStartBase(start);
    if (start) setForm((current) => ({ ...current, baseModel: start.baseModel }));
  }, [loaded, baseModels]);

  const showDatasets = (list: Dataset[]) => {
    setDatasets(list);
    if (!picked.current) setDatasetId(newestDatasetId(list));
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(() => {
    setLoaded('loading');
    picked.current = false;
    startChecked.current = false;
    setStartBase(null);
    // both retried while the server cannot be reached (a page opened then stayed empty until a reload)
    const stopDatasets = readUntilAnswered(() => api.datasets(character.id), showDatasets, onError);
    // Reopen the running train job (a resumed one may be older than a cancelled one), else the latest,
    // with its settings in the form; the dataset stays the newest version.
    const stopJobs = readUntilAnswered(
      () => api.jobs(character.id, 'train'),
      ifNewest(jobReads, (jobs) => {
        const latest = jobToReopen(jobs);
        setJob(latest);
        setLoaded('ok');
        if (latest) setForm(trainFormFromParams(latest.params));
      }),
      (error) => {
        setLoaded('failed');
        onError(error);
      },
    );
    return () => {
      stopDatasets();
      stopJobs();
    };
  }, [character.id]);

  const status = view.status ?? job?.status;
  const active = status === 'running' || status === 'queued';
  // Another tab may start a run (or build a dataset): follow it instead of offering a duplicate. Quiet on
  // errors: the banner would flash every few seconds while the server is down.
  // biome-ignore lint/correctness/useExhaustiveDependencies: restart when the character or the job's state changes
  useEffect(() => {
    if (active || loaded !== 'ok') return;
    const timer = setInterval(() => {
      api.jobs(character.id, 'train').then(
        (jobs) => {
          const running = activeJobOf(jobs);
          if (running) setJob(running);
        },
        () => {},
      );
      api.datasets(character.id).then(showDatasets, () => {});
    }, JOBS_POLL_MS);
    return () => clearInterval(timer);
  }, [character.id, active, loaded]);

  const start = (event: FormEvent) => {
    event.preventDefault();
    const checked = trainingFromForm(form);
    setFormError(checked.ok ? null : checked.error);
    setInvalidField(checked.ok ? null : checked.field);
    if (!checked.ok) {
      focusField(checked.field);
      return;
    }
    return once(async () => {
      try {
        setJob(
          await api.submitJob({
            kind: 'train',
            characterId: character.id,
            params: { datasetId, training: checked.training },
          }),
        );
        setLoaded('ok');
      } catch (error) {
        onError(error);
      }
    });
  };
  /** false when the request failed (the banner says why). */
  const act = async (action: 'cancel' | 'resume'): Promise<boolean> => {
    if (!job) return false;
    rescueFocus(() => jobActions.current?.querySelector<HTMLElement>('button, a') ?? progressHeading.current);
    try {
      setJob(await (action === 'cancel' ? api.cancelJob(job.id) : api.resumeJob(job.id)));
      if (action === 'resume') setAttempt((n) => n + 1);
      return true;
    } catch (error) {
      onError(error);
      return false;
    }
  };
  const jobDelete = useShownJobDelete({
    reads: jobReads,
    readJobs: () => api.jobs(character.id, 'train'),
    setJob: setJob,
    onError,
    fallback: () => progressHeading.current,
  });
  const blocked = trainBlockReason(datasets.find((d) => d.id === datasetId));
  const time = (iso: string) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  // The chart's axis: the job's own step count until its first progress event says so.
  const total = view.progress?.total ?? (job ? trainStepsOf(job.params) : 0);
  const sampleSettings = sampleSettingsOf(job?.params ?? {});
  const note =
    startBase && form.baseModel === startBase.baseModel
      ? startBase.note
      : baseModelNote(form.baseModel, baseModels);
  const samples = sampleNote(form.steps, form.sampleEverySteps);

  return (
    <section className="two-col">
      {/* noValidate: the fields are checked against the schema on submit, with one message naming the field */}
      <form className="panel form-grid" onSubmit={start} noValidate>
        <h3>Train a LoRA</h3>
        {/* a row of its own: a version's label ("v1 · 4 images · <date, time>") was cut at half the form's width */}
        <label className="wide">
          Dataset
          <select
            data-testid="train-dataset"
            value={datasetId}
            onChange={(e) => {
              picked.current = true;
              setDatasetId(e.target.value);
            }}
            required
          >
            {datasets.map((d, i) => (
              <option key={d.id} value={d.id}>
                {datasetVersionLabel(datasets, i, time)}
              </option>
            ))}
          </select>
        </label>
        {loaded === 'ok' && blocked && (
          <p className="field-note wide small field-warning" data-testid="dataset-note">
            {blocked}
          </p>
        )}
        <label>
          Base model
          <input
            name="baseModel"
            value={form.baseModel}
            required
            list="base-models"
            {...invalidFieldAttributes(invalidField === 'baseModel')}
            onChange={(e) => setForm({ ...form, baseModel: e.target.value })}
          />
          <BaseModelOptions id="base-models" choices={baseModels} />
        </label>
        <BaseModelNoteLine note={note} />
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
        {TRAIN_NUMBER_FIELDS.map(([key, spec]) => (
          <NumberInput
            key={key}
            name={key}
            invalid={invalidField === key}
            spec={spec}
            value={form[key]}
            onChange={(text) => setForm({ ...form, [key]: text })}
          />
        ))}
        <NumberInput
          name="alpha"
          invalid={invalidField === 'alpha'}
          spec={ALPHA_FIELD}
          required={false}
          placeholder={`= rank (${form.rank})`}
          value={form.alpha}
          onChange={(text) => setForm({ ...form, alpha: text })}
        />
        {samples && (
          <p
            className={`field-note wide small ${samples.warn ? 'field-warning' : 'muted'}`}
            data-testid="sample-note"
          >
            {samples.text}
          </p>
        )}
        {formError && (
          <p className="error wide" role="alert" id={FORM_ERROR_ID} data-testid="form-error">
            {formError}
          </p>
        )}
        <ActionButton
          type="submit"
          busy={starting}
          off={blocked !== null || active}
          title={
            blocked ?? (active ? 'A training run is going: cancel it or let it finish first.' : undefined)
          }
        >
          Start training
        </ActionButton>
      </form>
      <div className="panel">
        <h3 ref={progressHeading} tabIndex={-1}>
          Progress
        </h3>
        {job ? (
          <>
            <JobStatusLine view={view} remote={remote} />
            <LossChart points={view.losses} totalSteps={total} status={status ?? null} />
            <div className="row" ref={jobActions}>
              {active && <CancelButton key={`${job.id}-${attempt}`} onCancel={() => act('cancel')} />}
              {(status === 'interrupted' || status === 'cancelled' || status === 'failed') && (
                <button type="button" onClick={() => act('resume')}>
                  {/* without a checkpoint (it stopped before the first one) the job runs again from step 1 */}
                  {resumeLabel(job.checkpoint, view)}
                </button>
              )}
              {status === 'succeeded' && (
                <JobLoraLink
                  characterId={character.id}
                  jobId={job.id}
                  resultLoraId={typeof job.result?.loraId === 'string' ? job.result.loraId : null}
                />
              )}
              {status && isFinalStatus(status) && (
                <JobDeleteButton
                  busy={jobDelete.busy}
                  onDelete={() => jobDelete.remove(job.id, deleteTrainJobQuestion(status))}
                />
              )}
            </div>
            <div className="thumbs samples" data-testid="samples">
              {view.samples.map((s) => {
                const label = sampleLabel(s, sampleSettings);
                return (
                  <figure key={s.url}>
                    <CheckedImage url={s.url} alt={label.alt} onError={onError} />
                    <figcaption>{label.caption}</figcaption>
                  </figure>
                );
              })}
            </div>
          </>
        ) : (
          loaded === 'ok' && <p className="muted">No training yet.</p>
        )}
      </div>
    </section>
  );
}
