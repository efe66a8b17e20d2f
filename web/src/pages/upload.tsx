// web/src/pages/upload.tsx — drag-and-drop multi-upload with progress (the dropzone is a button, so Tab
// reaches it and Enter / Space open the file chooser), the uploaded screenshots, and "build dataset" (a
// prep job, with the stage choices `toonlora prep` has as flags) with its live status. Every refused file is
// listed with its reason, also when all of them were refused, and a file stored converted (a TIFF as PNG) is
// noted. A rebuild over a reviewed version asks first
// (the new version starts from fresh captions), and a prep that made no crop says so instead of offering
// the empty version. A running prep has a Cancel button; a finished one lists the stage each step used and
// why (warning when captions fell back to the trigger word only). The screenshots and the character's prep
// jobs are re-read when the character's stream says they changed (uploads-follow.ts; nothing is polled), so another
// tab's uploads or build show here too. Its opening reads are retried while the server cannot be reached
// (initial-read.ts). A drop larger than
// the server's per-request limit goes up in batches. A screenshot's Remove clears the last upload's summary and
// moves the keyboard focus to the next Remove; a cancelled build's focus goes back to Build dataset. Of the
// screenshots' reads (opening, after an upload or Remove, the stream's) only the newest one's answer shows (of two
// quick Removes, the first one's late answer brought the second screenshot back); a finished build's late re-read
// does not replace a build started since, and a Build whose dataset check answers after the user went to another
// page asks its rebuild question nowhere (and builds nothing). A finished build has "Delete this job" (asked first,
// use-job-delete.ts): the page then shows the build it would reopen without it, and a read of the prep jobs begun
// before the delete does not bring it back; a refusal (its dataset version still listed) shows the server's words.
import { type DragEvent, useEffect, useRef, useState } from 'react';
import { isFinalStatus } from '../../../src/jobs/job-state.js';
import { PREP_FIELD_LABELS, PREP_FIELDS, type PrepField } from '../../../src/prep-field-labels.js';
import type {
  Character,
  Dataset,
  Job,
  PrepJobParams,
  UploadConversion,
  UploadedImage,
} from '../../../src/schemas/api.js';
import { visibleText } from '../../../src/visible-text.js';
import {
  captionerSchema,
  charactersSchema,
  inpainterSchema,
  prepConfigSchema,
  segmenterSchema,
} from '../../../src/schemas/config.js';
import { api, type UploadLimits, uploadImages, uploadLimits } from '../api.js';
import { ActionButton, nextInList, useFocusRescue } from '../components/action-button.js';
import { screenshotBusyWords } from '../components/busy-delete-words.js';
import { CancelButton } from '../components/cancel-button.js';
import { rebuildWarning } from '../components/dataset-versions.js';
import { CheckedImage } from '../components/full-size-image.js';
import { deletePrepJobQuestion } from '../components/finished-job-delete.js';
import { JobDeleteButton } from '../components/job-delete-button.js';
import { JobStatusLine } from '../components/job-status.js';
import { readUntilAnswered } from '../components/initial-read.js';
import { LinkedText } from '../components/linked-text.js';
import { ifNewest, readNewest, useNewestReads, useStillShown } from '../components/newest-read.js';
import { jobToFollow, jobToReopen } from '../components/job-view.js';
import { PrepSkipped } from '../components/prep-skipped.js';
import { PrepCaptionWarning, PrepStagesUsed } from '../components/prep-stages.js';
import { prepModelWarnings } from '../components/prep-model-warnings.js';
import { DEFAULT_UPLOAD_LIMITS } from '../components/upload-batches.js';
import { conversionNotes, conversionsLeftAfterRemove } from '../components/upload-conversions.js';
import {
  refuseOversize,
  refuseTooSmall,
  rejectionsFromError,
  type UploadRejection,
  uploadDuplicateNames,
  uploadSummary,
} from '../components/upload-rejections.js';
import { useJob } from '../components/use-job.js';
import { useShownJobDelete } from '../components/use-job-delete.js';
import { followUploads } from '../components/uploads-follow.js';
import { useSubmitOnce } from '../components/use-submit-once.js';
import { modelsApi, onModelPulled } from '../models-api.js';
import type { ModelRow } from '../../../src/schemas/models-api.js';

type PrepOptions = NonNullable<PrepJobParams['options']>;
type StageKey = PrepField;

/** Each stage field's choices: the schema's options; `auto` picks the best model downloaded. */
const STAGE_CHOICES: Readonly<Record<StageKey, readonly string[]>> = {
  characters: charactersSchema.options,
  segmenter: segmenterSchema.options,
  inpainter: inpainterSchema.options,
  captioner: captionerSchema.options,
};
/** The stage choices offered, labelled as the stage reasons and warnings name them (prep-field-labels.ts). */
const STAGE_FIELDS = PREP_FIELDS.map((key) => [key, PREP_FIELD_LABELS[key], STAGE_CHOICES[key]] as const);
const PREP_DEFAULTS = prepConfigSchema.parse({});

export function UploadPage({
  character,
  onError,
  onGone,
}: {
  character: Character;
  onError: (error: unknown) => void;
  /** The character was deleted elsewhere (its stream answered 404): the app shows what it shows for a missing one. */
  onGone?: () => void;
}) {
  /** null until the first load answered (no empty-state text when it failed). */
  const [images, setImages] = useState<UploadedImage[] | null>(null);
  const [progress, setProgress] = useState<number | null>(null);
  const [rejected, setRejected] = useState<UploadRejection[]>([]);
  /** The last upload's files stored converted (a TIFF as PNG), each with its note. */
  const [converted, setConverted] = useState<UploadConversion[]>([]);
  /** The last upload's outcome, announced (a live region). */
  const [uploaded, setUploaded] = useState<string | null>(null);
  const [prepJob, setPrepJob] = useState<Job | null>(null);
  /** The character's dataset versions, oldest first (null until read): the rebuild warning and the
   * finished prep's version. */
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const { busy: submitting, once } = useSubmitOnce();
  const [hover, setHover] = useState(false);
  const [limits, setLimits] = useState<UploadLimits | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  const dropzone = useRef<HTMLButtonElement>(null);
  const buildButton = useRef<HTMLButtonElement>(null);
  const thumbs = useRef<HTMLDivElement>(null);
  const rescueFocus = useFocusRescue();
  /** The screenshots' reads: only the newest one's answer shows. */
  const imageReads = useNewestReads();
  /** The reads of the character's prep jobs that pick the build shown: a delete makes those begun before it stale. */
  const prepReads = useNewestReads();
  const stillShown = useStillShown();
  const [options, setOptions] = useState<Pick<PrepOptions, StageKey>>({
    characters: PREP_DEFAULTS.characters,
    segmenter: PREP_DEFAULTS.segmenter,
    inpainter: PREP_DEFAULTS.inpainter,
    captioner: PREP_DEFAULTS.captioner,
  });
  /** The server's models (null until read, or when the list failed: no warning then). */
  const [models, setModels] = useState<ModelRow[] | null>(null);
  const modelWarnings = prepModelWarnings(options, models);
  const prep = useJob(prepJob?.id ?? null);
  const prepStatus = prep.status ?? prepJob?.status;
  const prepActive = prepStatus === 'queued' || prepStatus === 'running';
  // The finished prep's version: a job that made no crop leaves one with no image, not worth a review.
  const builtVersion = datasets?.find((d) => d.jobId === prepJob?.id);
  const noCrops = prep.status === 'succeeded' && builtVersion?.itemCount === 0;

  const load = () => readNewest(imageReads, () => api.images(character.id), setImages, onError);
  // The opening reads are retried while the server cannot be reached (initial-read.ts), as on the other pages:
  // opened while it was down, the page kept the default limits and warned of no model until a reload.
  useEffect(() => {
    // the server's limits: a refusal leaves the defaults (quiet)
    const stopLimits = readUntilAnswered(uploadLimits, setLimits, () => setLimits(null));
    // a chosen stage's model not downloaded: warned before Build (re-read when this browser pulls one)
    const stopModels = readUntilAnswered(
      () => modelsApi.list(),
      setModels,
      () => setModels(null),
    );
    const stopListening = onModelPulled(() => modelsApi.list().then(setModels, () => setModels(null)));
    return () => {
      stopLimits();
      stopModels();
      stopListening();
    };
  }, []);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(() => {
    const stopImages = readUntilAnswered(
      () => api.images(character.id),
      ifNewest(imageReads, setImages),
      onError,
    );
    // the running or queued prep, else the latest (an older prep may still run while a newer one was cancelled)
    const stopJobs = readUntilAnswered(
      () => api.jobs(character.id, 'prep'),
      ifNewest(prepReads, (jobs: Job[]) => setPrepJob(jobToReopen(jobs))),
      onError,
    );
    return () => {
      stopImages();
      stopJobs();
    };
  }, [character.id]);
  // Another tab may upload or build: re-read what the character's stream says changed (both each time it opens:
  // the server replays nothing). Quiet on errors (the banner would flash while the server is down).
  const prepStatusNow = useRef(prep.status);
  prepStatusNow.current = prep.status;
  const onGoneNow = useRef(onGone);
  onGoneNow.current = onGone;
  useEffect(() => {
    const readImages = () =>
      readNewest(
        imageReads,
        () => api.images(character.id),
        setImages,
        () => {},
      );
    const readPrep = () =>
      readNewest(
        prepReads,
        () => api.jobs(character.id, 'prep'),
        (jobs) => setPrepJob((current) => jobToFollow(current, jobs, prepStatusNow.current)),
        () => {},
      );
    return followUploads(character.id, {
      changed: (event) => (event === 'uploads' ? readImages() : readPrep()),
      opened: () => {
        readImages();
        readPrep();
      },
      gone: () => onGoneNow.current?.(),
    });
  }, [character.id, imageReads, prepReads]);
  // A prep that stopped: re-read it for its result (the stages it used); the answer shows only while that prep is
  // still the one shown (a Build started meanwhile stays).
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read when the followed prep stops
  useEffect(() => {
    if (prepJob && prep.status && !prepActive && prepJob.status !== prep.status) {
      api.job(prepJob.id).then(
        (answer) => setPrepJob((shown) => (shown?.id === answer.id ? answer : shown)),
        () => {},
      );
    }
  }, [prep.status]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-read when a prep job ends
  useEffect(
    () =>
      readUntilAnswered(
        () => api.datasets(character.id),
        setDatasets,
        () => setDatasets(null),
      ),
    [character.id, prep.status],
  );

  const send = async (files: File[]) => {
    if (files.length === 0) return;
    // a file over the server's per-file limit is refused here, before its bytes go up
    const { maxFileBytes, minSidePx } = { ...DEFAULT_UPLOAD_LIMITS, ...limits };
    const sized = refuseOversize(files, maxFileBytes);
    // so is an image whose shorter side the browser reads as under the server's minimum (an older server: 64 px)
    const small = await refuseTooSmall(sized.accepted, minSidePx);
    const accepted = small.accepted;
    const tooLarge = [...sized.refused, ...small.refused];
    setUploaded(null);
    setConverted([]);
    if (accepted.length === 0) {
      setRejected(tooLarge);
      setUploaded(uploadSummary(0, tooLarge.length));
      return;
    }
    setProgress(0);
    try {
      const result = await uploadImages(character.id, accepted, setProgress, limits?.maxFiles);
      const refused = [...tooLarge, ...result.rejected];
      const notes = conversionNotes(result);
      setRejected(refused);
      setConverted(notes);
      setUploaded(
        uploadSummary(
          result.uploaded.length,
          refused.length,
          uploadDuplicateNames(result, images ?? []),
          notes.length,
        ),
      );
    } catch (error) {
      // every file refused: list each with its reason (the error's message names only the first)
      const refused = [...tooLarge, ...rejectionsFromError(error)];
      setRejected(refused);
      if (refused.length > 0) setUploaded(uploadSummary(0, refused.length));
      if (refused.length === tooLarge.length) onError(error);
    } finally {
      setProgress(null);
      load();
    }
  };

  /** The screenshot goes; the last upload's summary ("Uploaded 2 screenshots.") went stale with it. Its Remove
   * had the focus: it goes to the next screenshot's Remove (else the one before, else the dropzone). */
  const remove = (image: UploadedImage, index: number) => {
    rescueFocus(
      () =>
        nextInList(thumbs.current?.querySelectorAll<HTMLElement>('button.remove') ?? [], index) ??
        dropzone.current,
    );
    api.removeImage(image.id).then(
      () => {
        setUploaded(null);
        setConverted((shown) => conversionsLeftAfterRemove(shown, image.id));
        return load();
      },
      (error: unknown) => {
        // the running build reads it: the page's words (the server's names the API's cancel route)
        const busy = screenshotBusyWords(error, visibleText(image.originalName));
        onError(busy ? new Error(busy) : error);
      },
    );
  };

  const prepDelete = useShownJobDelete({
    reads: prepReads,
    readJobs: () => api.jobs(character.id, 'prep'),
    setJob: setPrepJob,
    onError,
    fallback: () => buildButton.current,
  });

  const drop = (event: DragEvent) => {
    event.preventDefault();
    setHover(false);
    send([...event.dataTransfer.files]);
  };

  const buildDataset = () =>
    once(async () => {
      try {
        const warning = rebuildWarning(await api.datasets(character.id));
        // the user went to another page meanwhile: the question is not asked there, and nothing is built
        if (warning && (!stillShown() || !window.confirm(warning))) return;
        setPrepJob(await api.submitJob({ kind: 'prep', characterId: character.id, params: { options } }));
      } catch (error) {
        onError(error);
      }
    });

  return (
    <section>
      <button
        ref={dropzone}
        type="button"
        className={`dropzone ${hover ? 'hover' : ''}`}
        data-testid="dropzone"
        onClick={() => fileInput.current?.click()}
        onDragOver={(e) => {
          e.preventDefault();
          setHover(true);
        }}
        onDragLeave={() => setHover(false)}
        onDrop={drop}
      >
        <strong>Drop screenshots here</strong> or click to choose (PNG, JPEG, WebP, GIF, BMP, AVIF, TIFF; many
        at once; at least {(limits ?? DEFAULT_UPLOAD_LIMITS).minSidePx} px on the shorter side)
      </button>
      <input
        ref={fileInput}
        type="file"
        multiple
        hidden
        // HEIC left out: an iPhone's picker then hands over JPEG (the server cannot decode HEIC); the extensions for a
        // system that has no type for .avif / .tif
        accept="image/png,image/jpeg,image/webp,image/gif,image/bmp,image/avif,image/tiff,.avif,.tif,.tiff"
        data-testid="upload-input"
        onChange={(e) => {
          send([...(e.target.files ?? [])]);
          e.target.value = ''; // choosing the same files again uploads them again
        }}
      />
      {progress !== null && <progress value={progress} max={1} aria-label="Upload progress" />}
      <p className="muted small upload-summary" role="status" data-testid="upload-summary">
        {uploaded}
      </p>
      {converted.length > 0 && (
        <ul className="muted small" data-testid="upload-converted">
          {converted.map((conversion) => (
            <li key={conversion.id}>{conversion.note}</li>
          ))}
        </ul>
      )}
      {rejected.length > 0 && (
        <ul className="rejected">
          {rejected.map((r, index) => (
            // two files may have the same name
            // biome-ignore lint/suspicious/noArrayIndexKey: the list is replaced whole, never reordered
            <li key={index}>{r.reason}</li>
          ))}
        </ul>
      )}
      {images?.length === 0 && <p className="muted">No screenshots yet: drop or choose some above.</p>}
      <div className="thumbs" data-testid="uploads" ref={thumbs}>
        {images?.map((image, index) => (
          <figure key={image.id}>
            <CheckedImage url={image.url} alt={image.originalName} lazy onError={onError} />
            <figcaption>
              {visibleText(image.originalName)} · {image.width}×{image.height}
            </figcaption>
            <button
              type="button"
              className="secondary remove"
              aria-label={`Remove ${image.originalName}`}
              onClick={() => remove(image, index)}
            >
              Remove
            </button>
          </figure>
        ))}
      </div>
      <div className="panel">
        <div className="form-row prep-options" data-testid="prep-options">
          {STAGE_FIELDS.map(([key, label, choices]) => (
            <label key={key}>
              {label}
              <select
                name={key}
                value={options[key]}
                onChange={(e) => setOptions({ ...options, [key]: e.target.value })}
              >
                {choices.map((choice) => (
                  <option key={choice} value={choice}>
                    {choice}
                  </option>
                ))}
              </select>
            </label>
          ))}
        </div>
        {modelWarnings.length > 0 && (
          <ul className="field-warning" data-testid="prep-model-warnings">
            {modelWarnings.map((text) => (
              <li key={text}>
                <LinkedText text={text} />
              </li>
            ))}
          </ul>
        )}
        <ActionButton
          ref={buildButton}
          busy={submitting}
          off={!images?.length || prepActive}
          onClick={buildDataset}
        >
          Build dataset from {images?.length ?? 0} screenshot{images?.length === 1 ? '' : 's'}
        </ActionButton>
        {prepJob && <JobStatusLine view={prep} summaryWarning={noCrops} />}
        {prepJob && prepActive && (
          <CancelButton
            key={prepJob.id}
            label="Cancel the build"
            onCancel={() => {
              // the Cancel goes once the build stopped: its focus goes back to Build dataset
              rescueFocus(() => buildButton.current);
              return api.cancelJob(prepJob.id).then(
                () => true,
                (error) => {
                  onError(error);
                  return false;
                },
              );
            }}
          />
        )}
        {prepJob && prepStatus && isFinalStatus(prepStatus) && (
          <JobDeleteButton
            busy={prepDelete.busy}
            onDelete={() =>
              prepDelete.remove(prepJob.id, deletePrepJobQuestion(prepStatus, prepJob.id, datasets ?? []))
            }
          />
        )}
        {prep.status === 'succeeded' && <PrepCaptionWarning result={prepJob?.result} />}
        {prep.status === 'succeeded' && <PrepStagesUsed result={prepJob?.result} />}
        {prep.status === 'succeeded' && builtVersion && (
          <PrepSkipped
            characterId={character.id}
            datasetId={builtVersion.id}
            itemCount={builtVersion.itemCount}
          />
        )}
        {prep.status === 'succeeded' && builtVersion && !noCrops && (
          <a href={`#/c/${character.id}/dataset`}>Review the dataset →</a>
        )}
      </div>
    </section>
  );
}
