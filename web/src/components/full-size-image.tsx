// web/src/components/full-size-image.tsx — a thumbnail that opens its full-size image in a new tab on click
// (generated images, earlier generations, a dataset item's stage images). One that fails to load shows a
// placeholder saying so (not the browser's broken image with its alt text), and with `onError` asks the API why
// once: a token forgotten in another tab brings up the app's token prompt (image-failure.ts).
import { useState } from 'react';
import { probeFailedImage } from './image-failure.js';

export function FullSizeImageLink({
  url,
  alt,
  lazy = false,
  onError,
}: {
  url: string;
  alt: string;
  /** loading="lazy": for long lists of thumbnails. */
  lazy?: boolean;
  /** The app's error path: given a refused token when the image failed for it. */
  onError?: (error: unknown) => void;
}) {
  const [failed, setFailed] = useState(false);
  if (failed) {
    return (
      <span className="missing" role="img" aria-label={`${alt} (did not load)`} data-testid="image-failed">
        did not load
      </span>
    );
  }
  return (
    <a href={url} target="_blank" rel="noreferrer" title="Open the full-size image">
      <img
        src={url}
        alt={alt}
        {...(lazy ? { loading: 'lazy' as const } : {})}
        onError={() => {
          setFailed(true);
          if (onError) void probeFailedImage(url, onError);
        }}
      />
    </a>
  );
}
