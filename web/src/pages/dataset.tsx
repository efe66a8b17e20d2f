// web/src/pages/dataset.tsx — dataset review: per item the original / text removed / mask / crop side
// by side (each opens full size on click), the caption editable inline (a save error shown under it; warnings
// while typing: no leading trigger word, longer than CLIP reads), exclude / re-include, each image and button
// named with the item's file name; skipped files with reasons; zip download. Prep's crop quality warnings show
// on their item, counted over the items. A caption that names little besides the trigger is warned about too.
// "Show" keeps only the items with warnings or the excluded ones (the others are hidden, not unmounted: their
// unsaved edits stay); the header's quality warning count has a button that sets it to those items. Leaving the page (reload, nav link, Back) with a caption edited and not saved asks first.
// A caption save is sent with the version it was edited from: one changed in another tab since is refused and
// the row shows the other text, to keep its own or take the other. A save refused for the token (forgotten in
// another tab) goes to the app's token prompt, and the typed caption comes back in its row after it.
import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type {
  Character,
  Dataset,
  DatasetDetail,
  DatasetItem,
  DatasetItemPatch,
} from '../../../src/schemas/api.js';
import { ApiError, api } from '../api.js';
import { captionLengthWarning, captionShortWarning } from '../components/caption-tokens.js';
import {
  CAPTION_MAX,
  captionFromInput,
  captionToSave,
  captionTriggerWarning,
  filterCounts,
  ITEM_FILTERS,
  type ItemFilter,
  itemAccessibleNames,
  itemMatches,
  skippedReasonText,
} from '../components/dataset-review.js';
import {
  type CaptionConflict,
  captionConflict,
  conflictText,
  keepCaptionDraft,
  takeCaptionDraft,
} from '../components/caption-drafts.js';
import { errorText } from '../components/error-text.js';
import { DownloadLink } from '../components/download-link.js';
import { FullSizeImageLink } from '../components/full-size-image.js';
import { itemWarningText, showWarnedLabel, warningsHeaderText } from '../components/quality-warnings.js';
import { useUnsavedWarning } from '../components/unsaved-warning.js';

function Stage({ label, alt, url }: { label: string; alt: string; url: string | null }) {
  return (
    <figure className="stage">
      {url ? <FullSizeImageLink url={url} alt={alt} lazy /> : <div className="missing">not kept</div>}
      <figcaption>{label}</figcaption>
    </figure>
  );
}

function ItemRow({
  datasetId,
  item,
  trigger,
  classWord,
  hidden,
  onPatch,
  onTake,
  onSignedOut,
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
  const fileName = item.source.split('/').pop() ?? item.source;
  const names = itemAccessibleNames(fileName, item.excluded);
  const draft = captionToSave(caption);
  const unsaved = draft !== item.caption && draft !== saving;
  useUnsavedWarning(unsaved);
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
    <div className={`item ${item.excluded ? 'excluded' : ''}`} data-testid="dataset-item" hidden={hidden}>
      <div className="stages">
        <Stage label="original" alt={names.stage('original')} url={item.stages.original} />
        <Stage label="text removed" alt={names.stage('text removed')} url={item.stages.textRemoved} />
        <Stage label="mask" alt={names.stage('mask')} url={item.stages.mask} />
        <Stage label="crop" alt={names.stage('crop')} url={item.stages.crop} />
      </div>
      <div className="caption">
        <span className="muted small file-name">{fileName}</span>
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
          onBlur={() => unsaved && save()}
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
          <button type="button" aria-label={names.save} disabled={!unsaved} onClick={() => save()}>
            Save caption
          </button>
          <button
            type="button"
            className="secondary"
            aria-label={names.exclude}
            onClick={() => patch({ excluded: !item.excluded })}
          >
            {item.excluded ? 'Re-include' : 'Exclude'}
          </button>
        </div>
      </div>
    </div>
  );
}

export function DatasetPage({
  character,
  onError,
}: {
  character: Character;
  onError: (error: unknown) => void;
}) {
  /** null until the list loaded (no "no dataset yet" when the load failed). */
  const [datasets, setDatasets] = useState<Dataset[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [detail, setDetail] = useState<DatasetDetail | null>(null);
  const [filter, setFilter] = useState<ItemFilter>('all');
  const filterField = useRef<HTMLSelectElement>(null);
  const words = { trigger: character.trigger, classWord: character.classWord };
  // biome-ignore lint/correctness/useExhaustiveDependencies: words follow the character
  const counts = useMemo(() => filterCounts(detail?.items ?? [], words), [detail, character]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(() => {
    api.datasets(character.id).then((list) => {
      setDatasets(list);
      setSelected(list[list.length - 1]?.id ?? null);
    }, onError);
  }, [character.id]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the selection changes
  useEffect(() => {
    if (selected) api.dataset(selected).then(setDetail, onError);
  }, [selected]);

  if (datasets === null) return null;
  if (datasets.length === 0) {
    return <p className="muted">No dataset yet: upload screenshots and build one.</p>;
  }
  /** The version list's image counts follow an exclude / re-include right away. */
  const showDetail = (next: DatasetDetail) => {
    setDetail(next);
    setDatasets((list) =>
      (list ?? []).map((d) =>
        d.id === next.id ? { ...d, itemCount: next.itemCount, excludedCount: next.excludedCount } : d,
      ),
    );
  };
  /** Rejects with the API's error: the item shows it beside its caption, not in the page's banner. */
  const patch = (key: string) => async (body: DatasetItemPatch) => {
    if (selected) showDetail(await api.patchItem(selected, key, body));
  };
  /** Another tab's caption taken in a row: this page's copy of the item follows it. */
  const take = (key: string) => (other: CaptionConflict) =>
    setDetail((current) =>
      current
        ? {
            ...current,
            items: current.items.map((i) =>
              i.key === key ? { ...i, caption: other.caption, captionVersion: other.captionVersion } : i,
            ),
          }
        : current,
    );
  const warnedText = detail ? warningsHeaderText(detail.items, filter === 'quality') : null;
  const showWarned = detail ? showWarnedLabel(detail.items, filter === 'quality') : null;

  return (
    <section>
      <div className="row">
        <label>
          Version{' '}
          <select value={selected ?? ''} onChange={(e) => setSelected(e.target.value)}>
            {datasets.map((d, i) => (
              <option key={d.id} value={d.id}>
                v{i + 1} · {new Date(d.createdAt).toLocaleString()} · {d.itemCount - d.excludedCount}/
                {d.itemCount} images
              </option>
            ))}
          </select>
        </label>
        {selected && (
          <DownloadLink className="button secondary" href={`/api/datasets/${selected}/zip`} onError={onError}>
            Download zip (kohya layout)
          </DownloadLink>
        )}
      </div>
      {warnedText && (
        <p className="field-warning" data-testid="quality-warnings-count">
          <span aria-hidden="true">⚠ </span>
          {warnedText}
          {showWarned && ' '}
          {showWarned && (
            <button
              type="button"
              className="secondary"
              data-testid="show-warned"
              onClick={() => {
                // the button goes once they show: focus moves to the "Show" choice, which now says so
                setFilter('quality');
                filterField.current?.focus();
              }}
            >
              {showWarned}
            </button>
          )}
        </p>
      )}
      {detail && detail.items.length > 0 && (
        <div className="row">
          <label>
            Show{' '}
            <select
              ref={filterField}
              value={filter}
              data-testid="item-filter"
              onChange={(e) => setFilter(e.target.value as ItemFilter)}
            >
              {ITEM_FILTERS.map(([id, label]) => (
                <option key={id} value={id}>
                  {label} ({counts[id]})
                </option>
              ))}
            </select>
          </label>
          {filter !== 'all' && (
            <span className="muted" role="status" data-testid="item-filter-count">
              {counts[filter]} of {counts.all} shown
            </span>
          )}
        </div>
      )}
      {detail?.items.map((item) => (
        <ItemRow
          key={item.key}
          datasetId={detail.id}
          item={item}
          trigger={character.trigger}
          classWord={character.classWord}
          hidden={!itemMatches(item, filter, words)}
          onPatch={patch(item.key)}
          onTake={take(item.key)}
          onSignedOut={onError}
        />
      ))}
      {detail && detail.skipped.length > 0 && (
        <div className="panel">
          <h3>Skipped files</h3>
          <ul data-testid="skipped">
            {detail.skipped.map((s) => (
              <li key={s.source}>
                <b>{s.source.split('/').pop()}</b> ({s.status}): {skippedReasonText(s.source, s.reason)}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
