// web/src/components/metadata-format.ts — a LoRA's metadata values as the Metadata panel shows them (pure):
// sizes with a unit, numbers to 4 significant digits, lists and objects (also kohya's JSON-in-a-string
// `ss_*` values) as short readable lists, and nothing for an empty one. A trained LoRA's `datasetId` is named as the
// Train page names the version ("v2 · 5 images · …"), or said deleted (DELETE /api/datasets/:id keeps the LoRA):
// before, the panel showed an id that led nowhere.
import type { Dataset } from '../../../src/schemas/api.js';
import { formatBytes } from '../../../src/format-bytes.js';
import { datasetVersionLabel } from './dataset-versions.js';

/** How many entries of a list or object are shown before "… (N more)". */
const MAX_ENTRIES = 8;

function formatNumber(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}

/** A list's text, shortened after MAX_ENTRIES. */
function joinShort(parts: string[], separator: string): string {
  const shown = parts.slice(0, MAX_ENTRIES).join(separator);
  return parts.length > MAX_ENTRIES ? `${shown}${separator}… (${parts.length - MAX_ENTRIES} more)` : shown;
}

/**
 * The text of metadata `value` under `key`; null when there is nothing to show (null, an empty list, an
 * empty object or string). A key naming bytes (`sizeBytes`) gets a unit, as `toonlora inspect` prints it (`151 MB`).
 */
export function formatMetaValue(key: string, value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return /bytes$/i.test(key) ? formatBytes(value) : formatNumber(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return null;
    if (/^[[{]/.test(text)) {
      try {
        return formatMetaValue(key, JSON.parse(text));
      } catch {
        return value; // not JSON after all
      }
    }
    return value;
  }
  if (Array.isArray(value)) {
    const parts = value.map((v) => formatMetaValue('', v)).filter((v): v is string => v !== null);
    return parts.length > 0 ? joinShort(parts, ', ') : null;
  }
  if (typeof value === 'object') {
    const parts = Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => {
        const text = formatMetaValue(k, v);
        return text === null ? null : `${k}: ${text}`;
      })
      .filter((v): v is string => v !== null);
    return parts.length > 0 ? joinShort(parts, '; ') : null;
  }
  return String(value);
}

/** A character's dataset versions as the LoRA page last read them (GET /api/characters/:id/datasets), and the ids a
 * read begun after the LoRA was listed did not hold: deleted (ids are never given again). */
export interface KnownDatasets {
  characterId: string;
  list: readonly Dataset[];
  deleted: readonly string[];
}

/** The dataset version id a trained LoRA's metadata names (null: an uploaded LoRA names none). */
export function loraDatasetId(meta: Record<string, unknown> | undefined): string | null {
  const id = meta?.datasetId;
  return typeof id === 'string' && id !== '' ? id : null;
}

/** What is known of `characterId`'s versions (null: nothing yet, or another character's). */
function knownFor(known: KnownDatasets | null, characterId: string): KnownDatasets | null {
  return known?.characterId === characterId ? known : null;
}

/** Whether the versions must be read to name `datasetId`: neither listed nor known deleted (a LoRA trained after
 * the last read names a version that read did not see; one named before needs no read). */
export function datasetsToRead(
  known: KnownDatasets | null,
  characterId: string,
  datasetId: string | null,
): boolean {
  const mine = knownFor(known, characterId);
  return (
    datasetId !== null && !mine?.list.some((d) => d.id === datasetId) && !mine?.deleted.includes(datasetId)
  );
}

/** `known` after a read answered `list`: the versions named by `listed` (the LoRAs listed when the read began) that
 * it does not hold are deleted. */
export function afterDatasetsRead(
  known: KnownDatasets | null,
  characterId: string,
  list: readonly Dataset[],
  listed: readonly string[],
): KnownDatasets {
  const deleted = knownFor(known, characterId)?.deleted ?? [];
  const gone = listed.filter((id) => !list.some((d) => d.id === id) && !deleted.includes(id));
  return { characterId, list, deleted: [...deleted, ...new Set(gone)] };
}

/** The text naming dataset version `datasetId`: its label ("v2 · 5 images · <time> · newest"; `time` formats its
 * creation), "dataset version <id> (deleted)", or the id while the versions are not read (or could not be). */
export function datasetVersionText(
  known: KnownDatasets | null,
  characterId: string,
  datasetId: string,
  time: (iso: string) => string,
): string {
  const mine = knownFor(known, characterId);
  if (mine?.deleted.includes(datasetId)) return `dataset version ${datasetId} (deleted)`;
  const index = mine?.list.findIndex((d) => d.id === datasetId) ?? -1;
  return index >= 0 && mine ? datasetVersionLabel(mine.list, index, time) : datasetId;
}

/** A LoRA's stored metadata for the panel: `datasetId` becomes a `dataset` row, in its place, named as above. */
export function withDatasetNamed(
  meta: Record<string, unknown>,
  known: KnownDatasets | null,
  characterId: string,
  time: (iso: string) => string,
): Record<string, unknown> {
  const datasetId = loraDatasetId(meta);
  if (datasetId === null) return meta;
  return Object.fromEntries(
    Object.entries(meta).map(([key, value]) =>
      key === 'datasetId'
        ? ['dataset', datasetVersionText(known, characterId, datasetId, time)]
        : [key, value],
    ),
  );
}
