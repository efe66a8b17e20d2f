// web/src/pages/dataset.tsx — dataset review: per item the original / text removed / mask / crop side
// by side, the caption editable inline, exclude / re-include; skipped files with reasons; zip download.
import { useEffect, useState } from 'react';
import type { Character, Dataset, DatasetDetail, DatasetItem } from '../../../src/schemas/api.js';
import { api } from '../api.js';

function Stage({ label, url }: { label: string; url: string | null }) {
  return (
    <figure className="stage">
      {url ? <img src={url} alt={label} loading="lazy" /> : <div className="missing">not kept</div>}
      <figcaption>{label}</figcaption>
    </figure>
  );
}

function ItemRow({
  item,
  onPatch,
}: {
  item: DatasetItem;
  onPatch: (body: { caption?: string; excluded?: boolean }) => void;
}) {
  const [caption, setCaption] = useState(item.caption);
  useEffect(() => setCaption(item.caption), [item.caption]);
  return (
    <div className={`item ${item.excluded ? 'excluded' : ''}`} data-testid="dataset-item">
      <div className="stages">
        <Stage label="original" url={item.stages.original} />
        <Stage label="text removed" url={item.stages.textRemoved} />
        <Stage label="mask" url={item.stages.mask} />
        <Stage label="crop" url={item.stages.crop} />
      </div>
      <div className="caption">
        <span className="muted small">{item.source.split('/').pop()}</span>
        <textarea
          value={caption}
          rows={3}
          data-testid="caption"
          // Captions are one line (the API refuses line breaks: kohya reads only the first line).
          onChange={(e) => setCaption(e.target.value.replace(/\s*[\r\n]+\s*/g, ', '))}
          onBlur={() => caption !== item.caption && onPatch({ caption })}
        />
        <div className="row">
          <button type="button" disabled={caption === item.caption} onClick={() => onPatch({ caption })}>
            Save caption
          </button>
          <button type="button" className="secondary" onClick={() => onPatch({ excluded: !item.excluded })}>
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
  const patch = (key: string) => (body: { caption?: string; excluded?: boolean }) =>
    selected && api.patchItem(selected, key, body).then(showDetail, onError);

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
          <a className="button secondary" href={`/api/datasets/${selected}/zip`}>
            Download zip (kohya layout)
          </a>
        )}
      </div>
      {detail?.items.map((item) => (
        <ItemRow key={item.key} item={item} onPatch={patch(item.key)} />
      ))}
      {detail && detail.skipped.length > 0 && (
        <div className="panel">
          <h3>Skipped files</h3>
          <ul data-testid="skipped">
            {detail.skipped.map((s) => (
              <li key={s.source}>
                <b>{s.source.split('/').pop()}</b> ({s.status}): {s.reason}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
