// web/src/pages/lora.tsx — a character's LoRAs: inspect metadata, download (kohya, kohya fp16, diffusers,
// PEFT), the A1111 prompt snippet with the trigger word, the upload of a LoRA made elsewhere, and delete (asked
// first).
import { useEffect, useState } from 'react';
import { a1111Snippet } from '../../../src/lora/webui-name.js';
import type { Artifact, Character, LoraInspect } from '../../../src/schemas/api.js';
import { api, request } from '../api.js';
import { readUntilAnswered } from '../components/initial-read.js';
import { LoraDownloads } from '../components/lora-downloads.js';
import { LoraUpload } from '../components/lora-upload.js';
import { formatMetaValue } from '../components/metadata-format.js';

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

/** The question before a LoRA is deleted: what goes, what stays, and that it cannot be undone. */
export function deleteLoraQuestion(lora: Artifact): string {
  const stays = lora.jobId ? ' The train job that made it stays in the job history.' : '';
  return `Delete the LoRA ${lora.name}? Its file and the downloads converted from it are deleted from the server; this cannot be undone. Download it first to keep a copy.${stays}`;
}

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

  const readList = () => api.artifacts({ characterId: character.id, kind: 'lora' });
  /** Shows the list and selects `select`, else the newest LoRA. */
  const showList = (list: Artifact[], select?: string) => {
    setLoras(list);
    setSelected(select ?? list[list.length - 1]?.id ?? null);
  };
  /** Reads the list and selects `select`, else the newest LoRA. */
  const load = (select?: string) => readList().then((list) => showList(list, select), onError);
  // retried while the server cannot be reached (initial-read.ts)
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the character changes
  useEffect(() => readUntilAnswered(readList, (list) => showList(list), onError), [character.id]);
  const upload = <LoraUpload characterId={character.id} onUploaded={(lora) => load(lora.id)} />;
  useEffect(() => {
    setInspect(null);
    setInspectError(null);
    if (selected)
      api.inspectLora(selected).then(setInspect, (error: Error) => setInspectError(error.message));
  }, [selected]);

  /** Asks, then deletes the LoRA (the server refuses while a generate job not done uses it) and selects the newest. */
  const remove = async (target: Artifact) => {
    if (!window.confirm(deleteLoraQuestion(target))) return;
    try {
      await request<void>('DELETE', `/api/loras/${target.id}`);
      await load();
    } catch (error) {
      onError(error);
    }
  };

  if (loras === null) return null;
  if (loras.length === 0)
    return (
      <section>
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
      <div className="row">
        <label>
          LoRA{' '}
          <select value={selected ?? ''} onChange={(e) => setSelected(e.target.value)}>
            {loras.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name} · {new Date(l.createdAt).toLocaleString()}
              </option>
            ))}
          </select>
        </label>
        {selected && (
          <LoraDownloads loraId={selected} lokr={inspect?.inspect.algorithm === 'lokr'} onError={onError} />
        )}
        {lora && (
          <button type="button" className="secondary" data-testid="delete-lora" onClick={() => remove(lora)}>
            Delete
          </button>
        )}
      </div>
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
        {lora && <MetadataTable data={lora.meta} />}
      </div>
      {upload}
    </section>
  );
}
