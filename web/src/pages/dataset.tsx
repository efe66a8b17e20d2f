// web/src/pages/dataset.tsx — dataset review: per item the original / text removed / mask / crop side
// by side (each opens full size on click), the caption editable inline (a save error shown under it; warnings
// while typing: no leading trigger word, longer than CLIP reads), exclude / re-include, each image and button
// named with the item's file name; skipped files with reasons; zip download. Prep's crop quality warnings show
// on their item, counted over the items. A caption that names little besides the trigger is warned about too.
// "Show" keeps only the items with warnings or the excluded ones (the others are hidden, not unmounted: their
// unsaved edits stay); the header's quality warning count has a button that sets it to those items. Leaving the
// page (reload, nav link, Back) with a caption edited and not saved asks first. Each item: dataset-item-row.tsx.
// A caption save is sent with the version it was edited from: one changed in another tab since is refused and
// the row shows the other text, to keep its own or take the other. A save refused for the token (forgotten in
// another tab) goes to the app's token prompt, and the typed caption comes back in its row after it. Coming back
// to the tab re-reads the dataset: an item excluded or re-included in another tab shows as it is now.
// A long dataset (200 crops) shows 50 rows at first, "Show 50 more" adds the next (a row once shown stays
// mounted, hidden when out of view: its edit stays); rows can be picked (checkbox, shift-click range, "Select all
// shown") and excluded / re-included together in one request (dataset-bulk-bar.tsx, dataset-selection.ts);
// changing "Show" clears the picks. A bulk action refused for the token keeps every row's unsaved edit for after
// the prompt, as a row's own save does. "Delete this version" asks first, naming the version (dataset-delete.ts),
// then shows the newest version left, or the empty state. Answers come back in any order: an answer older than
// one shown is dropped (of two quick excludes, the first one's late answer showed the second item included again),
// a read that failed does not count (the version opened while the server was down stayed empty until the next tab
// return, when that return's read had failed), a write overtaken by another reads the version again, and an answer
// for a version no longer picked only updates its count in the version list (its rows showed under the version
// picked since).
import { useEffect, useMemo, useRef, useState } from 'react';
import type {
  Character,
  Dataset,
  DatasetDetail,
  DatasetItem,
  DatasetItemPatch,
} from '../../../src/schemas/api.js';
import { ApiError, api, request } from '../api.js';
import {
  type CaptionConflict,
  type CaptionDraft,
  hasCaptionDraft,
  keepCaptionDraft,
} from '../components/caption-drafts.js';
import { countedNoun } from '../components/counted-noun.js';
import { deleteVersionQuestion, versionAfterDelete } from '../components/dataset-delete.js';
import { BulkBar } from '../components/dataset-bulk-bar.js';
import { ItemRow } from '../components/dataset-item-row.js';
import {
  filterCounts,
  filterCountText,
  ITEM_FILTERS,
  type ItemFilter,
  itemMatches,
  skippedFileName,
  skippedReasonText,
} from '../components/dataset-review.js';
import {
  bulkChangeKeys,
  bulkDoneText,
  LIST_PAGE_SIZE,
  pickAllShown,
  pickedShown,
  pickRow,
  showMoreText,
  shownItemKeys,
} from '../components/dataset-selection.js';
import { DownloadLink } from '../components/download-link.js';
import { readUntilAnswered } from '../components/initial-read.js';
import { ifNewest, readNewest, useNewestReads } from '../components/newest-read.js';
import { showWarnedLabel, warningsHeaderText } from '../components/quality-warnings.js';
import { watchTabReturn } from '../components/tab-return.js';

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
  /** The version picked now, for an answer that comes after the user may have picked another. */
  const selectedNow = useRef(selected);
  selectedNow.current = selected;
  /** The shown version's reads and writes (excludes, caption saves): an answer older than one shown is dropped. */
  const detailReads = useNewestReads();
  const [detail, setDetail] = useState<DatasetDetail | null>(null);
  const [filter, setFilter] = useState<ItemFilter>('all');
  const filterField = useRef<HTMLSelectElement>(null);
  const words = { trigger: character.trigger, classWord: character.classWord };
  // biome-ignore lint/correctness/useExhaustiveDependencies: words follow the character
  const counts = useMemo(() => filterCounts(detail?.items ?? [], words), [detail, character]);
  /** Rows picked for a bulk action, and the row clicked last (a shift-click's range starts there). */
  const [picked, setPicked] = useState<ReadonlySet<string>>(new Set());
  const [anchor, setAnchor] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  /** Rows changed under this "Show" choice (one by one or in bulk): they stay shown, in their new state, until
   * it changes (a re-include under "Excluded" made the row vanish at once); its status line counts them. */
  const [kept, setKept] = useState<ReadonlySet<string>>(new Set());
  /** How many of the "Show" choice's rows show (a page; "Show more" adds one). */
  const [limit, setLimit] = useState(LIST_PAGE_SIZE);
  /** Rows shown once stay mounted (hidden when out of view): their unsaved edit and notes stay. */
  const mounted = useRef<{ id: string | null; keys: Set<string> }>({ id: null, keys: new Set() });
  /** Each row's unsaved edit, kept across the token prompt when a bulk action is refused for the token. */
  const drafts = useRef(new Map<string, CaptionDraft>());
  /** After "Show more": the index of the first new row, whose checkbox gets the focus. */
  const focusFrom = useRef<number | null>(null);
  const list = useRef<HTMLDivElement>(null);
  /** Rows with an edit kept across the token prompt: shown wherever they are in the list. */
  // biome-ignore lint/correctness/useExhaustiveDependencies: read once per dataset version (the row takes it)
  const pinned = useMemo(
    () =>
      new Set(
        (detail?.items ?? [])
          .filter((item) => hasCaptionDraft(sessionStorage, detail?.id ?? '', item.key))
          .map((item) => item.key),
      ),
    [detail?.id],
  );

  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(
    () =>
      // retried while the server cannot be reached (initial-read.ts)
      readUntilAnswered(
        () => api.datasets(character.id),
        (list) => {
          setDatasets(list);
          setSelected(list[list.length - 1]?.id ?? null);
        },
        onError,
      ),
    [character.id],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the selection changes
  useEffect(() => {
    setPicked(new Set());
    setAnchor(null);
    setNotice(null);
    setKept(new Set());
    setLimit(LIST_PAGE_SIZE);
    if (!selected) return undefined;
    return readUntilAnswered(() => api.dataset(selected), ifNewest(detailReads, showDetail), onError);
  }, [selected]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: after each "Show more" (the limit grew)
  useEffect(() => {
    if (focusFrom.current === null || !list.current) return;
    const boxes = list.current.querySelectorAll<HTMLInputElement>(
      '[data-testid=dataset-item]:not([hidden]) [data-testid=pick-item]',
    );
    boxes[focusFrom.current]?.focus();
    focusFrom.current = null;
  }, [limit]);

  /** The version list's image counts follow an exclude / re-include right away. */
  const showCounts = (next: DatasetDetail) =>
    setDatasets((list) =>
      (list ?? []).map((d) =>
        d.id === next.id ? { ...d, itemCount: next.itemCount, excludedCount: next.excludedCount } : d,
      ),
    );
  const showDetail = (next: DatasetDetail) => {
    setDetail(next);
    showCounts(next);
  };
  /** Reads the version picked now; its answer shows unless a newer read's or write's answer showed meanwhile. */
  const reread = () => {
    const id = selectedNow.current;
    if (id) void readNewest(detailReads, () => api.dataset(id), showDetail, onError);
  };
  /** Starts a write (exclude, caption save); the returned function shows its answer: the whole version when it is
   * still the newest read or write of the version picked; when a newer one began meanwhile, the version read
   * again (the newer answer may lack this write, or this one the newer write); for a version no longer picked,
   * only its counts in the list. Returns whether the version is still the one picked. */
  const beginWrite = () => {
    const ticket = detailReads.begin();
    return (next: DatasetDetail): boolean => {
      if (next.id !== selectedNow.current) {
        showCounts(next);
        return false;
      }
      if (ticket.newest() && ticket.show()) showDetail(next);
      else reread();
      return true;
    };
  };
  // Back to this tab: the dataset is read again, so an item excluded or re-included in another tab shows as it
  // is (the row showed it as it was, and its button offered the opposite of the server's state).
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-watch when the selection changes
  useEffect(() => {
    if (!selected) return;
    return watchTabReturn({ window, document }, reread);
  }, [selected]);

  // a slow network showed a blank page until the list came
  if (datasets === null) {
    return (
      <p className="muted" role="status" data-testid="dataset-loading">
        Loading…
      </p>
    );
  }
  if (datasets.length === 0) {
    return <p className="muted">No dataset yet: upload screenshots and build one.</p>;
  }
  /** Rejects with the API's error: the item shows it beside its caption, not in the page's banner. */
  const patch = (key: string) => async (body: DatasetItemPatch) => {
    if (!selected) return;
    const written = beginWrite();
    if (written(await api.patchItem(selected, key, body))) setKept((current) => new Set(current).add(key));
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
  const changeFilter = (next: ItemFilter) => {
    setFilter(next);
    setKept(new Set());
    setPicked(new Set());
    setAnchor(null);
  };
  const matches = (item: DatasetItem) => kept.has(item.key) || itemMatches(item, filter, words);
  const shown = shownItemKeys(detail?.items ?? [], matches, limit, pinned);
  if (mounted.current.id !== (detail?.id ?? null))
    mounted.current = { id: detail?.id ?? null, keys: new Set() };
  for (const key of shown.keys) mounted.current.keys.add(key); // idempotent: safe in a re-render
  const shownSet = new Set(shown.keys);
  const chosen = pickedShown(picked, shown.keys);
  const toExclude = bulkChangeKeys(detail?.items ?? [], chosen, true);
  const toInclude = bulkChangeKeys(detail?.items ?? [], chosen, false);
  const moreText = showMoreText(shown.keys.length, shown.matching);
  /** One request for every picked row an exclude (or re-include) changes; the picks go once it is saved. */
  const bulk = async (excluded: boolean) => {
    const keys = excluded ? toExclude : toInclude;
    if (!selected || keys.length === 0) return;
    const written = beginWrite();
    setBusy(true);
    setNotice(null);
    try {
      if (!written(await api.patchItems(selected, { keys, excluded }))) return;
      setKept((current) => new Set([...current, ...keys])); // as a row's own button: they stay
      setPicked(new Set());
      setAnchor(null);
      setNotice(bulkDoneText(keys.length, excluded));
    } catch (error) {
      // the token prompt replaces the page: every row's unsaved edit comes back in its row after it
      if (error instanceof ApiError && error.status === 401) {
        for (const [key, draft] of drafts.current) keepCaptionDraft(sessionStorage, selected, key, draft);
      }
      onError(error);
    } finally {
      setBusy(false);
    }
  };
  /** Deletes the version shown, once confirmed; then the list as it is now, showing its newest version. */
  const deleteVersion = async () => {
    const index = datasets.findIndex((d) => d.id === selected);
    const time = (iso: string) => new Date(iso).toLocaleString();
    if (!selected || index < 0 || !window.confirm(deleteVersionQuestion(datasets, index, time))) return;
    setBusy(true);
    try {
      await request<void>('DELETE', `/api/datasets/${selected}`);
    } catch (error) {
      // deleted elsewhere meanwhile (another tab): the list as it is now, without it, not the API's "not found"
      if (!(error instanceof ApiError && error.status === 404)) {
        setBusy(false);
        onError(error);
        return;
      }
    }
    try {
      const list = await api.datasets(character.id);
      setDatasets(list);
      setDetail(null);
      setSelected(versionAfterDelete(list));
    } catch (error) {
      onError(error);
    } finally {
      setBusy(false);
    }
  };
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
                {countedNoun(d.itemCount, 'image')}
              </option>
            ))}
          </select>
        </label>
        {selected && (
          <DownloadLink className="button secondary" href={`/api/datasets/${selected}/zip`} onError={onError}>
            Download zip (kohya layout)
          </DownloadLink>
        )}
        {selected && (
          <button
            type="button"
            className="secondary"
            data-testid="delete-version"
            disabled={busy}
            onClick={() => void deleteVersion()}
          >
            Delete this version
          </button>
        )}
      </div>
      {selected && detail?.id !== selected && (
        <p className="muted" role="status" data-testid="dataset-loading">
          Loading…
        </p>
      )}
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
                changeFilter('quality');
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
              onChange={(e) => changeFilter(e.target.value as ItemFilter)}
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
              {filterCountText(counts[filter], shown.matching - counts[filter], counts.all)}
            </span>
          )}
        </div>
      )}
      {detail && detail.items.length > 0 && (
        <BulkBar
          shown={shown.keys.length}
          picked={chosen.length}
          toExclude={toExclude.length}
          toInclude={toInclude.length}
          busy={busy}
          notice={notice}
          onPickAll={() => {
            setPicked(pickAllShown(picked, shown.keys));
            setAnchor(null);
          }}
          onBulk={(excluded) => void bulk(excluded)}
          onClear={() => {
            setPicked(new Set());
            setAnchor(null);
          }}
        />
      )}
      {/* biome-ignore lint/a11y/noStaticElementInteractions: Escape from a row's checkbox clears the picks */}
      <div
        ref={list}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && e.target instanceof HTMLInputElement && e.target.type === 'checkbox') {
            setPicked(new Set());
            setAnchor(null);
          }
        }}
      >
        {detail?.items
          .filter((item) => mounted.current.keys.has(item.key))
          .map((item) => (
            <ItemRow
              key={item.key}
              datasetId={detail.id}
              item={item}
              trigger={character.trigger}
              classWord={character.classWord}
              hidden={!shownSet.has(item.key)}
              onPatch={patch(item.key)}
              onTake={take(item.key)}
              onSignedOut={onError}
              picked={picked.has(item.key)}
              onPick={(checked, range) => {
                setPicked((current) => pickRow(current, shown.keys, anchor, item.key, checked, range));
                setAnchor(item.key);
              }}
              onDraft={(draft) => {
                if (draft) drafts.current.set(item.key, draft);
                else drafts.current.delete(item.key);
              }}
            />
          ))}
      </div>
      {moreText && (
        <div className="row">
          <button
            type="button"
            className="secondary"
            data-testid="show-more"
            onClick={() => {
              focusFrom.current = shown.keys.length;
              setLimit((n) => n + LIST_PAGE_SIZE);
            }}
          >
            {moreText}
          </button>
        </div>
      )}
      {detail && detail.skipped.length > 0 && (
        <div className="panel">
          <h3>Skipped files</h3>
          <ul data-testid="skipped">
            {detail.skipped.map((s) => (
              <li key={s.source}>
                <b>{skippedFileName(s.source)}</b> ({s.status}): {skippedReasonText(s.source, s.reason)}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
