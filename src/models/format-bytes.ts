// src/models/format-bytes.ts — a byte count as `toonlora models list`, the pull progress lines and the web
// app's Models page print it: `1.2 GB`, decimal units as download pages show them. Pure and free of Node
// imports, so the browser bundle shares it.

/** `1.2 GB`-style size for people (decimal units, as download pages show them). */
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
