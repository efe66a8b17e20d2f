// web/src/components/generated-images.tsx — what the Generate page shows of images made: a job's timing line
// (warm worker or base load, LoRA swap, generation), its images as a grid (a column per LoRA weight, a row per
// seed, each opening full size, with a download link and a Delete) and the character's earlier generations, folded
// (each with its Delete too; the deletes themselves: use-generate-deletes.ts).
import type { Artifact, GenerationTiming } from '../../../src/schemas/api.js';
import { ActionButton } from './action-button.js';
import { countedNoun } from './counted-noun.js';
import { FullSizeImageLink } from './full-size-image.js';
import { IMAGE_DELETE_ID } from './generated-delete.js';

/** An image's Delete, when the page offers one: `deleting` holds the images whose delete is on its way. */
export interface ImageDeleteProps {
  onDelete?: (image: Artifact, label: string) => void;
  deleting?: ReadonlySet<string>;
}

/** The Delete under image `image` (named `label` for screen readers); nothing without `onDelete`. */
function ImageDeleteButton({
  image,
  label,
  onDelete,
  deleting,
}: ImageDeleteProps & { image: Artifact; label: string }) {
  if (!onDelete) return null;
  const busy = deleting?.has(image.id) ?? false;
  return (
    <ActionButton
      className="secondary remove"
      data-testid={IMAGE_DELETE_ID}
      aria-label={`Delete ${label}`}
      busy={busy}
      onClick={() => onDelete(image, label)}
    >
      {busy ? 'Deleting…' : 'Delete'}
    </ActionButton>
  );
}

/** A finished generate job's timing: whether the worker was warm, LoRA swap and generation times. */
export function GenerationTimingLine({ timing }: { timing: GenerationTiming }) {
  return (
    <p className="muted small" data-testid="timing">
      {timing.warm ? 'warm worker' : `base loaded in ${(timing.loadMs / 1000).toFixed(1)} s`} · LoRA swap{' '}
      {timing.loraSwapMs.toFixed(0)} ms · generation {(timing.generateMs / 1000).toFixed(1)} s
    </p>
  );
}

/** A job's images: a column per LoRA weight (one column without a sweep), a row per seed; nothing when none. */
export function ImageGrid({
  images,
  onError,
  ...deletes
}: ImageDeleteProps & {
  images: readonly Artifact[];
  /** The app's error path: an image refused for the token brings up the token prompt. */
  onError?: (error: unknown) => void;
}) {
  if (images.length === 0) return null;
  const weights = [...new Set(images.map((i) => Number(i.meta.weight)))];
  const seeds = [...new Set(images.map((i) => Number(i.meta.seed)))];
  return (
    <div
      className="sweep"
      style={{ gridTemplateColumns: `repeat(${weights.length}, max-content)` }}
      data-testid="results"
    >
      {weights.map((w) => (
        <h4 key={w}>weight {w}</h4>
      ))}
      {seeds.flatMap((seedValue) =>
        weights.map((w) => {
          const image = images.find((i) => Number(i.meta.weight) === w && Number(i.meta.seed) === seedValue);
          return image ? (
            <figure key={image.id}>
              <FullSizeImageLink url={image.url} alt={`seed ${seedValue}, weight ${w}`} onError={onError} />
              <figcaption>
                seed {seedValue} · weight {w} ·{' '}
                <a href={image.url} download={imageDownloadName(image)} data-testid="image-download">
                  download
                </a>
              </figcaption>
              <ImageDeleteButton image={image} label={`seed ${seedValue} · weight ${w}`} {...deletes} />
            </figure>
          ) : (
            <span key={`${seedValue}-${w}`} />
          );
        }),
      )}
    </div>
  );
}

/** The character's images of other jobs, folded under a summary; nothing when there are none. */
export function EarlierImages({
  images,
  onError,
  ...deletes
}: ImageDeleteProps & {
  images: readonly Artifact[];
  /** The app's error path: an image refused for the token brings up the token prompt. */
  onError?: (error: unknown) => void;
}) {
  if (images.length === 0) return null;
  return (
    <details className="earlier" data-testid="earlier-images">
      <summary>Earlier generations ({countedNoun(images.length, 'image')})</summary>
      <div className="thumbs">
        {images.map((image) => (
          <figure key={image.id}>
            <FullSizeImageLink url={image.url} alt={earlierImageLabel(image)} lazy onError={onError} />
            <figcaption className="small">{earlierImageLabel(image)}</figcaption>
            <ImageDeleteButton image={image} label={earlierImageLabel(image)} {...deletes} />
          </figure>
        ))}
      </div>
    </details>
  );
}

/**
 * The file name an image downloads as: its name (`seed 1 · weight 0.8`) and its job's id's first 8 characters, so
 * the same seed and weight of two generations do not both save as `seed 1 · weight 0.8.png`.
 */
export function imageDownloadName(image: Pick<Artifact, 'id' | 'name' | 'jobId'>): string {
  const job = image.jobId ? ` · job ${image.jobId.slice(0, 8)}` : '';
  return `${image.name || image.id}${job}.png`;
}

/** An earlier image's caption: its seed and weight, and when it was made. */
export function earlierImageLabel(image: Artifact): string {
  const parts = [];
  if (image.meta.seed !== undefined) parts.push(`seed ${String(image.meta.seed)}`);
  if (image.meta.weight !== undefined) parts.push(`weight ${String(image.meta.weight)}`);
  parts.push(new Date(image.createdAt).toLocaleString());
  return parts.join(' · ');
}
