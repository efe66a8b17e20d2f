// src/prep/inputs.ts — turns the user's `prep` inputs (files and folders) into the list of files to
// process: folders are walked recursively for image extensions, files are taken as given (so a
// mislabelled file still gets its own manifest entry), the output folder is never read back.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { ToonloraError } from '../errors.js';

/** Extensions picked up when walking a folder (lower case, with the dot): what sharp decodes (not BMP). */
export const IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif',
]);

function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

function walk(dir: string, skipDir: string, out: string[]): void {
  const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
    a.name.localeCompare(b.name, 'en', { numeric: true }),
  );
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== skipDir && !entry.name.startsWith('.')) walk(path, skipDir, out);
    } else if (entry.isFile() && IMAGE_EXTENSIONS.has(extensionOf(entry.name))) {
      out.push(path);
    }
  }
}

/**
 * Absolute paths of the files to process, in the order given (folders sorted naturally), each once.
 * @throws ToonloraError TL_ERR_INPUT_NOT_FOUND naming the first input that does not exist;
 *   TL_ERR_USAGE when no input was given, an input folder is the output folder or inside it, or the
 *   folders given hold no image file.
 */
export function collectInputFiles(inputs: readonly string[], outDir: string): string[] {
  if (inputs.length === 0) {
    throw new ToonloraError('TL_ERR_USAGE', 'inputs: expected at least one image file or folder, got none.');
  }
  const skipDir = resolve(outDir);
  const files: string[] = [];
  for (const input of inputs) {
    const path = resolve(input);
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
    } catch {
      throw new ToonloraError(
        'TL_ERR_INPUT_NOT_FOUND',
        `${input}: no such file or folder. Check the path (inputs are image files and/or folders of images).`,
        { details: { file: input } },
      );
    }
    if (isDir && (path + sep).startsWith(skipDir + sep)) {
      throw new ToonloraError(
        'TL_ERR_USAGE',
        `${input}: this input folder is the output folder (-o) or inside it, so prep would read its own crops back as screenshots. Give -o a folder outside the inputs, e.g. -o ${input.replace(/[/\\]+$/, '')}-dataset.`,
        { details: { file: input } },
      );
    }
    if (isDir) walk(path, skipDir, files);
    else if (!(path + sep).startsWith(skipDir + sep)) files.push(path);
  }
  if (files.length === 0) throw noImagesError(inputs);
  return [...new Set(files)];
}

function noImagesError(inputs: readonly string[]): ToonloraError {
  const extensions = [...IMAGE_EXTENSIONS].join(' ');
  return new ToonloraError(
    'TL_ERR_USAGE',
    `${inputs.join(', ')}: no image files found (looked for ${extensions}, in subfolders too). Point prep at your screenshots, or convert them to PNG.`,
    { details: { file: inputs[0] } },
  );
}
