// src/format-bytes.ts — byte counts as people read them (pure, free of Node imports, so the web bundle shares
// it): decimal units for every size toonlora shows (`151 MB`, as disks and the Hugging Face Hub count), and
// binary units, labelled KiB / MiB, for a limit set in powers of 1024 (`25 MiB`).

/**
 * `151 MB`, `4.3 GB`, `3.0 kB`, `999 B`: decimal units (1 kB = 1000 B, 1 MB = 10^6 B, up to TB), 3 figures at
 * most (one decimal under 100). For sizes on disk, downloads, free space and LoRA files alike.
 */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value >= 100 || unit === 0 ? Math.round(value) : value.toFixed(1)} ${units[unit]}`;
}

/**
 * `25 MiB`, `1.5 KiB`, `512 B`: binary units (1 KiB = 1024 B, 1 MiB = 1024^2 B, up to TiB), one decimal at most,
 * dropped when it is 0. For limits set in MiB (the upload's 25 MiB per file), which decimal units would blur.
 */
export function formatBinaryBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number(value.toFixed(1))} ${units[unit]}`;
}
