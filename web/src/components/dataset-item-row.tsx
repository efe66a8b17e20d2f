// web/src/components/dataset-item-row.tsx — one item of the Dataset page: its original / text removed / mask /
// crop side by side (each opens full size on click; one that fails to load for the token brings up the app's
// token prompt), its quality warnings, the caption editable inline (warnings while typing, a save error, a
// caption changed in another tab since shown to keep or take, an edit kept across the token prompt), and
// exclude / re-include; each image and button named with the item's file name. A checkbox picks the row for the
// page's bulk exclude / re-include (shift-click: a range); the row tells the page its unsaved edit, which the page
// keeps across the token prompt when a bulk action is refused for the token.
import { useEffect, useId, useRef, useState } from 'react';
import type { DatasetItem, DatasetItemPatch } from '../../../src/schemas/api.js';
import { ApiError } from '../api.js';
import { ActionButton } from './action-button.js';
import { captionLengthWarning, captionShortWarning } from './caption-tokens.js';
import {
  type CaptionConflict,
  type CaptionDraft,
  captionConflict,
  conflictText,
  keepCaptionDraft,
  takeCaptionDraft,
} from './caption-drafts.js';
import {
  CAPTION_MAX,
  captionFromInput,
  captionToSave,
  captionTriggerWarning,
  excludeButtonText,
  itemAccessibleNames,
  itemDisplayName,
} from './dataset-review.js';
import { errorText } from './error-text.js';
import { FullSizeImageLink } from './full-size-image.js';
import { itemWarningText } from './quality-warnings.js';
import { useUnsavedWarning } from './unsaved-warning.js';

function Stage({
  label,
  alt,
  url,
  onError,
}: {
  label: string;
  alt: string;
  url: string | null;
  /** An image refused for the token (forgotten in another tab): the app asks for it. */
  onError: (error: unknown) => void;
}) {
  return (
    <figure className="stage">
      {url ? (
        <FullSizeImageLink url={url} alt={alt} lazy onError={onError} />
      ) : (
        <div className="missing">not kept</div>
      )}
      <figcaption>{label}</figcaption>
    </figure>
  );
}

export function ItemRow({
  datasetId,
  item,
  trigger,
  classWord,
  hidden,
  onPatch,
  onTake,
  onSignedOut,
  picked,
  onPick,
  onDraft,
}: {
  datasetId: string;
  item: DatasetItem;
  /** The character's trigger word: a caption that does not start with it gets a warning. */
  trigger: string;
  /** An empty caption trains as `<trigger> <class>`. */
  classWord: string;
  /** Not under the page's "Show" choice: hidden, still mounted (an unsaved edit stays). */
  hidden: boolean;
  onPatch: (body: DatasetItemPatch) => Promise<unknown>;
  /** The other tab's caption is taken: the page shows it as this item's saved caption. */
  onTake: (conflict: CaptionConflict) => void;
  /** A 401: the app asks for the token (the page goes; the unsaved caption is kept for after it). */
  onSignedOut: (error: unknown) => void;
  /** Picked for the page's bulk exclude / re-include. */
  picked: boolean;
  /** The checkbox went to `checked`; `range`: shift was held (the rows from the one clicked before). */
  onPick: (checked: boolean, range: boolean) => void;
  /** The row's unsaved edit as it would be kept across the token prompt, or null once there is none. */
  onDraft: (draft: CaptionDraft | null) => void;
}) {
  /** An edit kept when the token was asked for (read once, on mount). */
  const [restored] = useState(() => takeCaptionDraft(sessionStorage, datasetId, item.key));
  const [caption, setCaption] = useState(restored?.caption ?? item.caption);
  /** The saved caption the edit started from, and its version: a save is refused if it changed since. */
  const [base, setBase] = useState(() => ({
    caption: restored?.baseCaption ?? item.caption,
    version: restored?.baseVersion ?? item.captionVersion,
  }));
  const [error, setError] = useState<string | null>(null);
  const [conflict, setConflict] = useState<CaptionConflict | null>(null);
  /** The caption whose save is on its way (a nav link's click saves on blur: not "unsaved" while it goes). */
  const [saving, setSaving] = useState<string | null>(null);
  /** An exclude / re-include on its way (its button says so and waits: a slow PATCH showed nothing). */
  const [toggling, setToggling] = useState(false);
  /** Tab from an edited caption lands on Save: the edit is saved when the focus leaves the two (or on Save). */
  const savePending = useRef(false);
  const field = useRef<HTMLTextAreaElement>(null);
  const saveButton = useRef<HTMLButtonElement>(null);
  // A new saved caption (this row's save, another row's response): shown, unless this row holds an edit of
  // an older one, which stays (its save is then refused, showing both).
  // biome-ignore lint/correctness/useExhaustiveDependencies: on the saved caption's changes only
  useEffect(() => {
    const draft = captionToSave(caption);
    if (draft !== base.caption && draft !== item.caption) return;
    setCaption(item.caption);
    setBase({ caption: item.caption, version: item.captionVersion });
  }, [item.caption, item.captionVersion]);
  const patch = (body: DatasetItemPatch) => {
    setError(null);
    const typed = captionToSave(caption);
    return onPatch(body).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 401) {
        if (typed !== item.caption) {
          const draft = { caption: typed, baseCaption: base.caption, baseVersion: base.version };
          keepCaptionDraft(sessionStorage, datasetId, item.key, draft);
        }
        onSignedOut(e);
        return;
      }
      const other = captionConflict(e);
      if (other) setConflict(other);
      else setError(errorText(e, e instanceof ApiError ? e.status : undefined));
    });
  };
  const save = (version = base.version) => {
    savePending.current = false;
    const text = captionToSave(caption);
    setCaption(text);
    if (text === item.caption) return;
    setSaving(text);
    patch({ caption: text, captionVersion: version }).finally(() => setSaving(null));
  };
  const keepMine = (other: CaptionConflict) => {
    setConflict(null);
    setBase({ caption: other.caption, version: other.captionVersion });
    save(other.captionVersion);
  };
  const takeOther = (other: CaptionConflict) => {
    setConflict(null);
    setCaption(other.caption);
    setBase({ caption: other.caption, version: other.captionVersion });
    onTake(other);
  };
  const fileName = itemDisplayName(item);
  const names = itemAccessibleNames(fileName, item.excluded);
  const draft = captionToSave(caption);
  const unsaved = draft !== item.caption && draft !== saving;
  useUnsavedWarning(unsaved);
  /** Focus went from the edited caption to its Save (Tab, a click): saved there, or when the focus leaves Save
   * (but not after Save or another answer saved it: a conflict's "Use the other" re-sent the old text). */
  const leaveCaption = (to: EventTarget | null) => {
    if (!unsaved) return;
    if (to === saveButton.current) savePending.current = true;
    else save();
  };
  const leaveSave = (to: EventTarget | null) => {
    const pending = savePending.current;
    savePending.current = false;
    if (pending && unsaved && to !== field.current) save();
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: onDraft is the page's (a new function each render)
  useEffect(() => {
    onDraft(unsaved ? { caption: draft, baseCaption: base.caption, baseVersion: base.version } : null);
  }, [unsaved, draft, base]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: once, on unmount
  useEffect(() => () => onDraft(null), []);
  const warning = captionTriggerWarning(caption, trigger);
  const lengthWarning = captionLengthWarning(draft) ?? captionShortWarning(draft, trigger, classWord);
  const warningId = useId();
  const lengthId = useId();
  const qualityId = useId();
  const describedBy = [
    warning ? warningId : null,
    lengthWarning ? lengthId : null,
    item.warnings.length > 0 ? qualityId : null,
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <div
      className={`item ${item.excluded ? 'excluded' : ''} ${picked ? 'picked' : ''}`}
      data-testid="dataset-item"
      hidden={hidden}
    >
      <div className="stages">
        <Stage
          label="original"
          alt={names.stage('original')}
          url={item.stages.original}
          onError={onSignedOut}
        />
        <Stage
          label="text removed"
          alt={names.stage('text removed')}
          url={item.stages.textRemoved}
          onError={onSignedOut}
        />
        <Stage label="mask" alt={names.stage('mask')} url={item.stages.mask} onError={onSignedOut} />
        <Stage label="crop" alt={names.stage('crop')} url={item.stages.crop} onError={onSignedOut} />
      </div>
      <div className="caption">
        <label className="pick">
          <input
            type="checkbox"
            checked={picked}
            aria-label={names.pick}
            data-testid="pick-item"
            // a click's (or Space's) shift key: a range from the row clicked before
            onChange={(e) => onPick(e.target.checked, (e.nativeEvent as MouseEvent).shiftKey === true)}
          />
          <span className="muted small file-name">{fileName}</span>
        </label>
        {item.warnings.length > 0 && (
          <div id={qualityId} data-testid="quality-warning">
            {item.warnings.map((text) => (
              <p key={text} className="field-warning small">
                <span aria-hidden="true">⚠ </span>
                {itemWarningText(text)}
              </p>
            ))}
          </div>
        )}
        <textarea
          value={caption}
          rows={3}
          aria-label={`Caption for ${fileName}`}
          maxLength={CAPTION_MAX}
          aria-describedby={describedBy || undefined}
          data-testid="caption"
          placeholder={`empty: trains as "${trigger} ${classWord}"`}
          // Captions are one line (the API refuses line breaks: kohya reads only the first line).
          onChange={(e) => setCaption(captionFromInput(e.target.value))}
          ref={field}
          onBlur={(e) => leaveCaption(e.relatedTarget)}
        />
        {warning && (
          <p className="field-warning small" id={warningId} data-testid="caption-warning">
            {warning}
          </p>
        )}
        {lengthWarning && (
          <p className="field-warning small" id={lengthId} data-testid="caption-length-warning">
            {lengthWarning}
          </p>
        )}
        {restored && unsaved && !conflict && (
          <p className="field-warning small" data-testid="caption-restored">
            Your edit was kept while the token was asked for: it is not saved yet.
          </p>
        )}
        {conflict && (
          <div role="alert" data-testid="caption-conflict">
            <p className="field-warning small">{conflictText(conflict)}</p>
            <div className="row">
              <button type="button" aria-label={names.keepMine} onClick={() => keepMine(conflict)}>
                Keep my text
              </button>
              <button
                type="button"
                className="secondary"
                aria-label={names.useOther}
                onClick={() => takeOther(conflict)}
              >
                Use the other text
              </button>
            </div>
          </div>
        )}
        {error && (
          <p className="error small" role="alert" data-testid="caption-error">
            {error}
          </p>
        )}
        <div className="row">
          <ActionButton
            ref={saveButton}
            aria-label={names.save}
            off={!unsaved}
            onBlur={(e) => leaveSave(e.relatedTarget)}
            onClick={() => save()}
          >
            Save caption
          </ActionButton>
          <ActionButton
            className="secondary"
            aria-label={names.exclude}
            busy={toggling}
            onClick={() => {
              setToggling(true);
              patch({ excluded: !item.excluded }).finally(() => setToggling(false));
            }}
          >
            {excludeButtonText(item.excluded, toggling)}
          </ActionButton>
        </div>
      </div>
    </div>
  );
}
