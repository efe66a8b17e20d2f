// web/src/pages/lora.tsx — a character's LoRAs: inspect metadata, download (kohya, kohya fp16, diffusers,
// PEFT), the A1111 prompt snippet with the trigger word, the upload of a LoRA made elsewhere, and delete (asked
// first). An address naming a LoRA (`#/c/<id>/lora/<loraId>`, a train job's "Open the LoRA") shows that one; the
// list is read again when the user comes back to the tab, and a LoRA deleted elsewhere meanwhile is said so. Of
// the list's reads (opening, address change, tab return, after an upload or delete) an answer older than one shown
// is dropped, one that failed does not count (opened while the server was down, the page stayed blank after it),
// and a LoRA the user picks while the list is read stays picked (a tab return's re-read undid the pick) with the
// list as read (the pick dropped it: a LoRA just deleted stayed listed, one just uploaded never came); the
// metadata shown is the selected LoRA's (a slower earlier selection's answer showed under it). A trained
// LoRA's dataset version is named as the Train page names it, or said deleted (one read of the character's versions
// when a LoRA names one not known yet, and one at each tab return: a version deleted in another tab meanwhile).
import { useEffect, useRef, useState } from 'react';
import { a1111Snippet } from '../../../src/lora/webui-name.js';
import type { Artifact, Character, LoraInspect } from '../../../src/schemas/api.js';
import { ApiError, api, request } from '../api.js';
import { readUntilAnswered } from '../components/initial-read.js';
import {
  loraIdInHash,
  loraPageHref,
  loraToShow,
  namedLoraGone,
  reselectAfterReread,
  rememberLoras,
} from '../components/lora-address.js';
import { loraInUseWords } from '../components/lora-delete-refusal.js';
import { LoraDownloads } from '../components/lora-downloads.js';
import { LoraUpload } from '../components/lora-upload.js';
import {
  afterDatasetsRead,
  datasetsToRead,
  formatMetaValue,
  type KnownDatasets,
  loraDatasetId,
  withDatasetNamed,
} from '../components/metadata-format.js';
import { ifNewest, readNewest, useNewestReads } from '../components/newest-read.js';
import type { TextPart } from '../components/page-links.js';
import { watchTabReturn } from '../components/tab-return.js';

/** Compatibility verdicts read better as one line: `a1111 ✓ · comfyui ✓ · diffusers ✗ (2 unmapped)`; other
 * values as metadata-format.ts writes them (null: nothing worth a row). */
function formatValue(key: string, value: unknown): string | null {
  if (key === 'compatibility' && Array.isArray(value)) {
    return value
      .map((v: { loader: string; ok: boolean; unmappedKeys?: unknown[] }) =>
        v.ok ? `${v.loader} ✓` : `${v.loader} ✗ (${v.unmappedKeys?.length ?? 0} unmapped)`,
      )
      .join(' · ');
  }
  return formatMetaValue(key, value);
}

/** The question before a LoRA is deleted: what goes (a trained one's run weights too: DELETE /api/loras/:id), what
 * stays, and that it cannot be undone. */
export function deleteLoraQuestion(lora: Artifact): string {
  const goes = lora.jobId
    ? 'Its file, the copies converted from it (downloads, generation) and the weights its training kept (adapter, checkpoints) are'
    : 'Its file and the copies converted from it (downloads, generation) are';
  const stays = lora.jobId
    ? ' The train job that made it stays in the job history, with its samples, loss and log.'
    : '';
  return `Delete the LoRA ${lora.name}? ${goes} deleted from the server; this cannot be undone. Download it first to keep a copy.${stays}`;
}

/** A dataset version's creation time as the LoRA list shows times (the browser's locale). */
const localTime = (iso: string) => new Date(iso).toLocaleString();

function MetadataTable({ data }: { data: Record<string, unknown> }) {
  const rows = Object.entries(data)
    .map(([key, value]) => [key, formatValue(key, value)] as const)
    .filter((row): row is readonly [string, string] => row[1] !== null);
  return (
    <table className="meta">
      <tbody>
        {rows.map(([key, text]) => (
          <tr key={key}>
            <th>{key}</th>
            <td>
              <code>{text}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function LoraPage({
  character,
  onError,
}: {
  character: Character;
  onError: (error: unknown) => void;
}) {
  /** null until the list loaded (no "no LoRA yet" when the load failed). */
  const [loras, setLoras] = useState<Artifact[] | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  /** The Copy button's last result (null: not pressed, or a few seconds ago). */
  const [copied, setCopied] = useState<boolean | null>(null);
  const [inspect, setInspect] = useState<LoraInspect | null>(null);
  const [inspectError, setInspectError] = useState<string | null>(null);
  /** Why the LoRA shown is not the one asked for (the address's, or the one shown before, was deleted). */
  const [goneNote, setGoneNote] = useState<string | null>(null);
  /** A delete refused because generate jobs use the LoRA: where to cancel them (the Generate page, linked). */
  const [inUse, setInUse] = useState<TextPart[] | null>(null);
  /** The list's reads: an answer older than one shown is dropped. */
  const reads = useNewestReads();
  /** The list and LoRA shown now, and how many times the user picked one: for a list answer, which keeps a pick
   * made while it was read. */
  const shownNow = useRef({ loras, selected });
  shownNow.current = { loras, selected };
  const picks = useRef(0);
  /** The character's dataset versions, to name the shown LoRA's; only the newest read's answer counts. */
  const [datasets, setDatasets] = useState<KnownDatasets | null>(null);
  const datasetReads = useNewestReads();
  const shownDatasetId = loraDatasetId(loras?.find((l) => l.id === selected)?.meta);

  const readList = () => api.artifacts({ characterId: character.id, kind: 'lora' }).then(rememberLoras);
  /** Shows the list and selects `select`, else the newest LoRA. */
  const showList = (list: Artifact[], select?: string) => {
    setLoras(list);
    setSelected(select ?? list[list.length - 1]?.id ?? null);
    setGoneNote(null);
  };
  /** Shows the list and the LoRA `named` (the address's when the read began: the page then replaces the address with
   * the LoRA it shows), else the newest, saying why. */
  const showNamed = (list: Artifact[], named = loraIdInHash(window.location.hash)) => {
    const shown = loraToShow(list, named);
    setLoras(list);
    setSelected(shown.id);
    setGoneNote(shown.namedGone && named ? namedLoraGone(named, list.length > 0) : null);
  };
  /** Reads the list; its answer goes to `show`, or, when the user picked a LoRA while it was read that is still
   * listed, only the list shows, the pick kept. */
  const readKeepingPick = (show: (list: Artifact[]) => void) => {
    const picksBefore = picks.current;
    return readNewest(
      reads,
      readList,
      (list) => {
        const picked = shownNow.current.selected;
        if (picks.current !== picksBefore && list.some((l) => l.id === picked)) setLoras(list);
        else show(list);
      },
      onError,
    );
  };
  /** Reads the list again, keeping the LoRA shown when the answer comes (the user may have picked another since)
   * unless it was deleted meanwhile (then: the newest, said so). */
  const reread = (onFail = onError) =>
    readNewest(
      reads,
      readList,
      (list) => {
        const { loras: previous, selected: shownId } = shownNow.current;
        const next = reselectAfterReread(previous ?? [], list, shownId);
        setLoras(list);
        setSelected(next.id);
        if (next.gone) setGoneNote(next.gone);
      },
      onFail,
    );
  /** Reads the character's versions, to name those the LoRAs `listed` name (quiet on errors: the id shows). */
  const readDatasets = (listed: readonly Artifact[]) => {
    const characterId = character.id;
    const named = listed.map((l) => loraDatasetId(l.meta)).filter((id): id is string => id !== null);
    return readNewest(
      datasetReads,
      () => api.datasets(characterId),
      (list) => setDatasets((known) => afterDatasetsRead(known, characterId, list, named)),
      () => {},
    );
  };
  /** Reads the list and selects `select`, else the newest LoRA. */
  const load = (select?: string) => readKeepingPick((list) => showList(list, select));
  // retried while the server cannot be reached (initial-read.ts)
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(
    () =>
      readUntilAnswered(
        readList,
        ifNewest(reads, (list: Artifact[]) => showNamed(list)),
        onError,
      ),
    [character.id],
  );
  // Another address for this page (Back to a train job's "Open the LoRA" link): the list again, that LoRA shown.
  // biome-ignore lint/correctness/useExhaustiveDependencies: follows the character's address only
  useEffect(() => {
    const onHash = () => {
      // another character's address: the app gives this page that character, whose first read shows it
      const named = loraIdInHash(window.location.hash);
      if (!window.location.hash.startsWith(`${loraPageHref(character.id)}/`) || !named) return;
      // A fragment navigation fires popstate and hashchange: two reads. An answer older than one shown is dropped;
      // each shows with the address it was asked for (an answer arriving after the page replaced the address
      // cleared the notice).
      void readKeepingPick((list) => showNamed(list, named));
    };
    window.addEventListener('hashchange', onHash);
    // Back/Forward to an entry of the same address (one the page replaced with the LoRA it shows) fires no
    // hashchange: the notice of the entry left would stay
    window.addEventListener('popstate', onHash);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('popstate', onHash);
    };
  }, [character.id]);
  // Back in this tab: a LoRA deleted (or uploaded, trained) in another tab meanwhile shows as it is now, and so does
  // a dataset version deleted there (its label stayed until the LoRA was opened again); quiet on errors: nothing the
  // user did failed.
  // biome-ignore lint/correctness/useExhaustiveDependencies: watched again as the list and selection change
  useEffect(() => {
    if (loras === null) return;
    return watchTabReturn({ window, document }, () => {
      void reread(() => {});
      if (loras.some((l) => loraDatasetId(l.meta) !== null)) void readDatasets(loras);
    });
  }, [loras, selected]);
  // An address naming a LoRA follows the LoRA shown (a reload shows it again, not one since deleted here).
  useEffect(() => {
    const named = loraIdInHash(window.location.hash);
    if (loras !== null && named !== null && named !== selected)
      window.history.replaceState(null, '', loraPageHref(character.id, selected));
  }, [character.id, loras, selected]);
  const upload = <LoraUpload characterId={character.id} onUploaded={(lora) => load(lora.id)} />;
  // The selected LoRA's metadata: the answer for one selected before comes too late to show.
  useEffect(() => {
    setInspect(null);
    setInspectError(null);
    setInUse(null);
    if (!selected) return;
    let current = true;
    api.inspectLora(selected).then(
      (answer) => {
        if (current) setInspect(answer);
      },
      (error: Error) => {
        if (current) setInspectError(error.message);
      },
    );
    return () => {
      current = false;
    };
  }, [selected]);

  // The versions, read when the shown LoRA names one not read yet (nor known deleted): once when the page opens
  // (that answer tells of every LoRA listed), again for a LoRA trained since; quiet on errors (the id shows).
  // biome-ignore lint/correctness/useExhaustiveDependencies: the LoRAs listed when the shown one needs a read
  useEffect(() => {
    if (datasetsToRead(datasets, character.id, shownDatasetId)) void readDatasets(loras ?? []);
  }, [character.id, shownDatasetId, datasets, datasetReads]);

  /** Asks, then deletes the LoRA (the server refuses while a generate job not done uses it) and selects the newest. */
  const remove = async (target: Artifact) => {
    if (!window.confirm(deleteLoraQuestion(target))) return;
    setInUse(null);
    try {
      await request<void>('DELETE', `/api/loras/${target.id}`);
      await load();
    } catch (error) {
      // deleted elsewhere meanwhile (another tab): the list as it is now, saying so, not the API's "not found"
      if (error instanceof ApiError && error.status === 404) await reread();
      else {
        // generate jobs use it: the page's words (the server's message names the API's cancel route)
        const words = loraInUseWords(error, target.name);
        if (words) setInUse(words);
        else onError(error);
      }
    }
  };

  const gone = goneNote && (
    <p className="field-warning" role="status" data-testid="lora-gone">
      {goneNote}
    </p>
  );
  if (loras === null) return null;
  if (loras.length === 0)
    return (
      <section>
        {gone}
        <p className="muted">No LoRA yet: train one, or upload one made elsewhere.</p>
        {upload}
      </section>
    );
  const lora = loras.find((l) => l.id === selected);
  const snippet = inspect?.snippet ?? (lora ? a1111Snippet(lora.name, character.trigger) : '');
  // navigator.clipboard exists only on https or localhost pages; say when it did not copy
  const copySnippet = () => {
    const done = (ok: boolean) => {
      setCopied(ok);
      setTimeout(() => setCopied(null), 2500);
    };
    (navigator.clipboard?.writeText(snippet) ?? Promise.reject(new Error('no clipboard'))).then(
      () => done(true),
      () => done(false),
    );
  };

  return (
    <section>
      {gone}
      <div className="row">
        <label>
          LoRA{' '}
          <select
            value={selected ?? ''}
            onChange={(e) => {
              // a list read under way (a tab return's, a Delete's) keeps the pick, its list still shows
              picks.current += 1;
              setSelected(e.target.value);
              setGoneNote(null);
            }}
          >
            {loras.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name} · {new Date(l.createdAt).toLocaleString()}
              </option>
            ))}
          </select>
        </label>
        {selected && (
          <LoraDownloads
            loraId={selected}
            lokr={inspect?.inspect.algorithm === 'lokr'}
            onError={onError}
            // deleted elsewhere meanwhile: the list as it is now, saying so, not the API's "not found"
            onGone={() => void reread()}
          />
        )}
        {lora && (
          <button type="button" className="secondary" data-testid="delete-lora" onClick={() => remove(lora)}>
            Delete
          </button>
        )}
      </div>
      {inUse && (
        <p className="error" role="alert" data-testid="lora-in-use">
          {inUse.map((part) =>
            part.href ? (
              <a key={part.text} href={part.href}>
                {part.text}
              </a>
            ) : (
              part.text
            ),
          )}
        </p>
      )}
      <div className="panel">
        <h3>Prompt snippet (AUTOMATIC1111 / Forge)</h3>
        <pre className="snippet" data-testid="snippet">
          {snippet}
        </pre>
        <button type="button" className="secondary" onClick={copySnippet}>
          {copied === null ? 'Copy' : copied ? 'Copied' : 'Copy failed: select the text above'}
        </button>
      </div>
      <div className="panel">
        <h3>Metadata</h3>
        {inspectError && <p className="error">{inspectError}</p>}
        {inspect && <MetadataTable data={{ ...inspect.inspect, metadata: undefined }} />}
        {inspect && <h3>Stored metadata (kohya ss_* / modelspec)</h3>}
        {inspect && <MetadataTable data={(inspect.inspect.metadata ?? {}) as Record<string, unknown>} />}
        {lora && <MetadataTable data={withDatasetNamed(lora.meta, datasets, character.id, localTime)} />}
      </div>
      {upload}
    </section>
  );
}
