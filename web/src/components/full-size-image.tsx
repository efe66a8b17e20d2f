// web/src/components/full-size-image.tsx — the app's thumbnails: `CheckedImage` (an image shown in place: an
// upload, a training sample) and `FullSizeImageLink` (one that opens its full-size image in a new tab on click:
// generated images, earlier generations, a dataset item's stage images). One that fails to load shows a
// placeholder saying so (not the browser's broken image with its alt text), and with `onError` asks the API why
// once: a token forgotten in another tab brings up the app's token prompt (image-failure.ts). That probe is a read:
// its failure answered after the user went on to another page is not shown there (shown-page.ts).
import { useState } from 'react';
import { probeFailedImage } from './image-failure.js';
import { readFailureReport } from './shown-page.js';

interface ImageProps {
  url: string;
  alt: string;
  /** loading="lazy" and decoding="async": for long lists of thumbnails. */
  lazy?: boolean;
  /** The app's error path: given a refused token when the image failed for it. */
  onError?: (error: unknown) => void;
}

/**
 * Whether the image failed to load, the <img>'s onError that records it and probes the API once, and which load
 * this is: an image the probe finds readable (its session cookie had ended, the probe renewed it: a restarted
 * server) is loaded once more, as a new <img> (`attempt` is its key).
 */
function useImageFailure(url: string, onError?: (error: unknown) => void) {
  const [failed, setFailed] = useState(false);
  const [attempt, setAttempt] = useState(0);
  const onImageError = () => {
    setFailed(true);
    if (!onError) return;
    void probeFailedImage(url, readFailureReport(onError)).then((readable) => {
      if (!readable || attempt > 0) return;
      setAttempt(1);
      setFailed(false);
    });
  };
  return { failed, onImageError, attempt };
}

function FailedImage({ alt }: { alt: string }) {
  return (
    <span className="missing" role="img" aria-label={`${alt} (did not load)`} data-testid="image-failed">
      did not load
    </span>
  );
}

function Img({ url, alt, lazy, onImageError }: Omit<ImageProps, 'onError'> & { onImageError: () => void }) {
  // lazy ones also decode off the main thread: a long list's scroll does not wait for them
  const deferred = lazy ? { loading: 'lazy' as const, decoding: 'async' as const } : {};
  return <img src={url} alt={alt} {...deferred} onError={onImageError} />;
}

/** An image shown in place (no link); a placeholder when it fails to load. */
export function CheckedImage({ url, alt, lazy = false, onError }: ImageProps) {
  const { failed, onImageError, attempt } = useImageFailure(url, onError);
  if (failed) return <FailedImage alt={alt} />;
  return <Img key={attempt} url={url} alt={alt} lazy={lazy} onImageError={onImageError} />;
}

/** An image that opens full size in a new tab; a placeholder (no link) when it fails to load. */
export function FullSizeImageLink({ url, alt, lazy = false, onError }: ImageProps) {
  const { failed, onImageError, attempt } = useImageFailure(url, onError);
  if (failed) return <FailedImage alt={alt} />;
  return (
    <a href={url} target="_blank" rel="noreferrer" title="Open the full-size image">
      <Img key={attempt} url={url} alt={alt} lazy={lazy} onImageError={onImageError} />
    </a>
  );
}
