// web/src/pages/generate.tsx — generate with a LoRA: prompt (trigger pre-filled), negative prompt,
// weight slider, seed, steps, several seeds as a grid, and a weight sweep (0.4 / 0.7 / 1.0). Cancel stops
// the image being rendered at its next sampling step; a sweep keeps the weights already done. After a
// reload or a tab switch it reopens the character's running generate job, else its latest: its settings, live status and
// Cancel while it runs, its images once it stopped. The base model is the LoRA's training base (an uploaded
// LoRA: the base its file's metadata names, when the server has it, said under the field), else the server's
// default, unless one is typed (with the Train page's "not downloaded" note, and a question before a job that
// would fail on a missing base). Each image links to its full-size file; the
// character's earlier generations are listed below (components/generate-results.tsx; the base field and its notes:
// generate-base-field.tsx; prompt to sweep: generate-settings-fields.tsx). A LoRA deleted
// (a reopened job's, or one deleted in another tab: the list is read again when the user comes back to the tab, and
// on the server's refusal) stays chosen and is said to be deleted, for the user to choose another (generate-lora.tsx).
// A job's late answer (its re-read once it stopped, its images, its cancel) shows only while that job is still the
// one shown: a finished job's re-read answered after the next Generate replaced the new job (its Cancel went).
// Each generated image has a Delete, and a finished job "Delete this batch" (its images, sweep grids and the job, one
// request; the question names how many of each, read with its images: components/job-outputs.ts), both asked first
// (components/use-generate-deletes.ts): the image or the job leaves the page without a reload (a batch replaced
// meanwhile by the next Generate: from the earlier generations), and a read of the images begun before the delete
// does not bring it back (newest-read.ts).
import { type FormEvent, useEffect, useRef, useState } from 'react';
import type { Artifact, BaseModelChoice, Character, Job } from '../../../src/schemas/api.js';
import { isFinalStatus } from '../../../src/jobs/job-state.js';
import { DEFAULT_BASE_MODEL } from '../../../src/schemas/config.js';
import { api } from '../api.js';
import {
  editClearsFieldError,
  type GenerateForm,
  generateBase,
  generationFromForm,
  initialGenerateForm,
  reopenedGenerate,
} from '../components/generate-form.js';
import { ActionButton, useFocusRescue } from '../components/action-button.js';
import {
  chosenLoraGone,
  goneLoraWords,
  isGoneLoraRefusal,
  LORA_FIELD,
  LoraField,
} from '../components/generate-lora.js';
import { loraFileBase, loraFileBaseNote } from '../components/lora-file-base.js';
import { GenerateBaseField } from '../components/generate-base-field.js';
import { GenerateResults } from '../components/generate-results.js';
import { GenerateSettingsFields, SWEEP } from '../components/generate-settings-fields.js';
import { readUntilAnswered } from '../components/initial-read.js';
import { FORM_ERROR_ID, focusField } from '../components/number-input.js';
import { listedLora, rememberLoras } from '../components/lora-address.js';
import { watchTabReturn } from '../components/tab-return.js';
import { baseModelNote } from '../components/train-form.js';
import { useJob } from '../components/use-job.js';
import { useSubmitOnce } from '../components/use-submit-once.js';
import { readFailureReport } from '../components/shown-page.js';
import { withoutImage, withoutJob } from '../components/generated-delete.js';
import { ifNewest, readNewest, useNewestReads } from '../components/newest-read.js';
import { useGenerateDeletes } from '../components/use-generate-deletes.js';
import { type JobOutputs, jobOutputs } from '../components/job-outputs.js';

export function GeneratePage({
  character,
  onError,
}: {
  character: Character;
  onError: (error: unknown) => void;
}) {
  const [loras, setLoras] = useState<Artifact[]>([]);
  /** The name of every LoRA the page listed, for the words about one deleted since. */
  const loraNames = useRef(new Map<string, string>());
  const showLoras = (list: Artifact[]) => {
    for (const lora of list) loraNames.current.set(lora.id, lora.name);
    setLoras(list);
  };
  const readLoras = () => api.artifacts({ characterId: character.id, kind: 'lora' }).then(rememberLoras);
  const [form, setForm] = useState<GenerateForm>(() => initialGenerateForm(character));
  const [formError, setFormError] = useState<string | null>(null);
  /** The field the form error is about (aria-invalid, focused). */
  const [invalidField, setInvalidField] = useState<string | null>(null);
  const [job, setJob] = useState<Job | null>(null);
  const { busy: submitting, once } = useSubmitOnce();
  /** The images (and the count of sweep grids) of the job `jobId`: shown only while it is the job shown. */
  const [outputs, setOutputs] = useState<JobOutputs | null>(null);
  /** The character's generated images of other jobs, newest job first. */
  const [earlier, setEarlier] = useState<Artifact[]>([]);
  /** The reads of the shown job's images and of the earlier ones: a delete makes those begun before it stale. */
  const jobImageReads = useNewestReads();
  const earlierReads = useNewestReads();
  const [baseModels, setBaseModels] = useState<BaseModelChoice[]>([]);
  const view = useJob(job?.id ?? null);
  /** What the user typed since the character's form was (re)loaded: the reopened job's settings do not replace it. */
  const edited = useRef<Partial<GenerateForm>>({});
  /** Cancel goes once the job stopped: its focus goes back to Generate. */
  const rescueFocus = useFocusRescue();
  const generateButton = useRef<HTMLButtonElement>(null);
  const set = (patch: Partial<GenerateForm>) => {
    edited.current = { ...edited.current, ...patch };
    setForm((current) => ({ ...current, ...patch }));
    // the error named a value that is no longer there (it stayed until the next submit)
    if (editClearsFieldError(invalidField, patch)) {
      setFormError(null);
      setInvalidField(null);
    }
  };

  // Which bases the server has (a missing one is named under the field); without the list, no note.
  useEffect(
    () =>
      readUntilAnswered(
        () => api.baseModels(),
        setBaseModels,
        () => setBaseModels([]),
      ),
    [],
  );
  /** The metadata of the chosen LoRA's file, for a LoRA without a training job here (an upload); null otherwise. */
  const [fileMetadata, setFileMetadata] = useState<{ loraId: string; metadata: unknown } | null>(null);
  // an older row of the same file (sameFileIds) is that LoRA: its base model and size apply
  const selectedLora = listedLora(loras, form.loraId);
  const loraGone = chosenLoraGone(form.loraId, loras);
  const goneName = loraGone ? (loraNames.current.get(form.loraId) ?? null) : null;
  const needsFileBase = selectedLora !== undefined && typeof selectedLora.meta.baseModel !== 'string';
  // An uploaded LoRA's file names the base it was trained on: read it (quiet on errors: the default applies).
  const fileBaseLoraId = needsFileBase ? form.loraId : null;
  useEffect(() => {
    if (!fileBaseLoraId) return;
    let current = true;
    api.inspectLora(fileBaseLoraId).then(
      (read) => current && setFileMetadata({ loraId: fileBaseLoraId, metadata: read.inspect.metadata }),
      () => {},
    );
    return () => {
      current = false;
    };
  }, [fileBaseLoraId]);
  /** The character and job shown as of the last render, for reads that start or end later (after a delete). */
  const shown = useRef({ characterId: character.id, jobId: job?.id });
  shown.current = { characterId: character.id, jobId: job?.id };
  const readEarlier = () => api.artifacts({ characterId: shown.current.characterId, kind: 'image' });
  /** The character's images of jobs other than the one shown, newest job first. */
  const showEarlier = (list: Artifact[]) =>
    setEarlier(list.filter((a) => a.jobId !== shown.current.jobId).reverse());
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character or the shown job changes
  useEffect(
    () => readUntilAnswered(readEarlier, ifNewest(earlierReads, showEarlier), () => setEarlier([])),
    [character.id, job?.id, view.status],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(() => {
    const fresh = initialGenerateForm(character);
    edited.current = {};
    setForm(fresh);
    setJob(null);
    // retried while the server cannot be reached (initial-read.ts)
    return readUntilAnswered(
      () => Promise.all([readLoras(), api.jobs(character.id, 'generate')]),
      ([list, jobs]) => {
        showLoras(list);
        // Reopen the running generate job (a resumed one may be older than a cancelled one), else the latest,
        // with its settings and its LoRA (one since deleted stays chosen, said so by LoraField).
        const reopened = reopenedGenerate(
          jobs,
          list.map((l) => l.id),
          fresh,
        );
        // a field typed in while the list loaded keeps what was typed (it was overwritten)
        setForm({ ...reopened.form, ...edited.current });
        setJob(reopened.job);
      },
      onError,
    );
  }, [character.id]);
  // Back in this tab: a LoRA deleted (or made) in another tab meanwhile shows as it is now (quiet on errors).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the character's list
  useEffect(
    () => watchTabReturn({ window, document }, () => void readLoras().then(showLoras, () => {})),
    [character.id],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: refresh results when the job stops
  useEffect(() => {
    if (job && view.status && isFinalStatus(view.status)) {
      const jobId = job.id;
      // reads: their failure is dropped once the user went on to another page (shown-page.ts)
      const onReadError = readFailureReport(onError);
      api.job(jobId).then(showJobAnswer, onReadError);
      void readNewest(
        jobImageReads,
        // its images and its sweep grids, in one request ("Delete this batch" names both)
        () => api.artifacts({ jobId }),
        (list) => setOutputs(jobOutputs(jobId, list)),
        onError,
      );
    }
  }, [view.status]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const checked = generationFromForm(form);
    setFormError(checked.ok ? null : checked.error);
    setInvalidField(checked.ok ? null : checked.field);
    if (!checked.ok) {
      focusField(checked.field);
      return;
    }
    if (loraGone) {
      refuseGoneLora(form.loraId);
      return;
    }
    if (
      baseNote?.warn &&
      !window.confirm(`${baseNote.text}\n\nThe job will fail as it starts. Send it anyway?`)
    ) {
      return;
    }
    return once(async () => {
      try {
        // Generate with the base typed, else the one the LoRA was trained on, at its training resolution.
        const { baseModel } = base;
        const size =
          typeof selectedLora?.meta.resolution === 'number' ? selectedLora.meta.resolution : undefined;
        const generation = {
          ...checked.generation,
          ...(baseModel ? { baseModel } : {}),
          ...(size ? { width: size, height: size } : {}),
        };
        setJob(
          await api.submitJob({
            kind: 'generate',
            characterId: character.id,
            params: {
              ...(form.loraId ? { loraId: form.loraId } : {}),
              generation,
              // a sweep scales a LoRA: the server refuses weights without one
              ...(form.sweep && form.loraId ? { weights: SWEEP } : {}),
            },
          }),
        );
      } catch (error) {
        if (!isGoneLoraRefusal(error, form.loraId)) return onError(error);
        // deleted in another tab since the list was read: the list as it is now, and the choice to the user (a
        // read: its failure is dropped once the user went on to another page, shown-page.ts)
        refuseGoneLora(form.loraId);
        await readLoras().then(showLoras, readFailureReport(onError));
      }
    });
  };
  /** The form error for a chosen LoRA that was deleted, on its field. */
  const refuseGoneLora = (loraId: string) => {
    setFormError(goneLoraWords(loraNames.current.get(loraId) ?? null));
    setInvalidField(LORA_FIELD);
    focusField(LORA_FIELD);
  };

  /** A job's answer, in place of the job shown only when it is that job (another may have been started since). */
  const showJobAnswer = (answer: Job) => setJob((shown) => (shown?.id === answer.id ? answer : shown));
  /** false when the request failed (the banner says why). */
  const cancel = async (): Promise<boolean> => {
    if (!job) return false;
    try {
      showJobAnswer(await api.cancelJob(job.id));
      return true;
    } catch (error) {
      onError(error);
      return false;
    }
  };

  const deletes = useGenerateDeletes({
    onImageDeleted: (image) => {
      // what the lists show now wins over any read of them begun before the delete (a ticket shown at once drops
      // their answers, even when the re-read fails); the earlier ones are read again
      if (image.jobId === shown.current.jobId) jobImageReads.begin().show();
      earlierReads.begin().show();
      setOutputs((shown) => shown && { ...shown, images: withoutImage(shown.images, image.id) });
      setEarlier((list) => withoutImage(list, image.id));
      void readNewest(earlierReads, readEarlier, showEarlier, onError);
    },
    onBatchDeleted: (jobId) => {
      // the job and its images leave the results only when it is still the job shown; a Generate that replaced it
      // meanwhile listed its images among the earlier ones (or will, from a read begun before the delete: dropped)
      setJob((shown) => (shown?.id === jobId ? null : shown));
      setOutputs((shown) => (shown?.jobId === jobId ? null : shown));
      earlierReads.begin().show();
      setEarlier((list) => withoutJob(list, jobId));
    },
    onError,
    fallback: () => generateButton.current,
  });

  const fileBase =
    needsFileBase && fileMetadata?.loraId === form.loraId
      ? loraFileBase(fileMetadata.metadata, baseModels)
      : null;
  const fileBaseNote = fileBase ? loraFileBaseNote(fileBase, DEFAULT_BASE_MODEL) : null;
  const base = generateBase(form, selectedLora, fileBase?.onServer ?? null);
  const baseNote = baseModelNote(base.name, baseModels);
  const status = view.status ?? job?.status;

  return (
    <section className="two-col">
      {/* noValidate: the fields are checked against the schema on submit, with one message naming the field */}
      <form className="panel form-grid" onSubmit={submit} noValidate>
        <h3>Generate</h3>
        <LoraField
          loras={loras}
          loraId={form.loraId}
          goneName={loraGone ? goneName : undefined}
          invalid={invalidField === LORA_FIELD}
          onChange={(loraId) => set({ loraId })}
        />
        <GenerateBaseField
          value={form.baseModel}
          base={base}
          baseNote={baseNote}
          fileBaseNote={fileBaseNote}
          choices={baseModels}
          onChange={(baseModel) => set({ baseModel })}
        />
        <GenerateSettingsFields form={form} invalidField={invalidField} onChange={set} />
        {formError && (
          <p className="error wide" role="alert" id={FORM_ERROR_ID} data-testid="form-error">
            {formError}
          </p>
        )}
        {/* one job at a time from this page: a second one would take the page (and its Cancel) off the first */}
        <ActionButton
          ref={generateButton}
          type="submit"
          busy={submitting}
          off={status === 'running' || status === 'queued'}
        >
          Generate
        </ActionButton>
      </form>
      <GenerateResults
        job={job}
        view={view}
        status={status}
        outputs={outputs?.jobId === job?.id ? outputs : null}
        earlier={earlier}
        onCancel={() => {
          rescueFocus(() => generateButton.current);
          return cancel();
        }}
        onError={onError}
        deletes={deletes}
      />
    </section>
  );
}
