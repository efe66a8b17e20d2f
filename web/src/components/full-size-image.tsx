// web/src/components/full-size-image.tsx — a thumbnail that opens its full-size image in a new tab on click
// (generated images, earlier generations, a dataset item's stage images).
export function FullSizeImageLink({
  url,
  alt,
  lazy = false,
}: {
  url: string;
  alt: string;
  /** loading="lazy": for long lists of thumbnails. */
  lazy?: boolean;
}) {
  return (
    <a href={url} target="_blank" rel="noreferrer" title="Open the full-size image">
      <img src={url} alt={alt} {...(lazy ? { loading: 'lazy' as const } : {})} />
    </a>
  );
}
