// src/server/lora-downloads.ts — the formats a LoRA downloads in (GET /api/loras/:id/download?format=):
// the stored kohya / WebUI file, and copies converted on first request and kept beside it (kohya in fp16,
// diffusers, a PEFT adapter folder sent as a zip). A trained LoRA is stored as a kohya file; an uploaded one
// as it came (its artifact's `meta.format`: kohya, diffusers or peft keys), so its `kohya` download is a
// converted copy too.
import { createReadStream, existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ToonloraError } from '../errors.js';
import { zipStream } from '../jobs/zip-stream.js';
import { webuiLoraName } from '../lora/webui-name.js';
import type { LoraFormat } from '../schemas/api.js';
import type { LoraTools } from './lora-tools.js';

/** Each format's cached copy beside the stored file (`<stored>.fp16.safetensors`, …) and download name. */
const FORMATS: Readonly<Record<LoraFormat, { copySuffix: string; fileName: (name: string) => string }>> = {
  kohya: { copySuffix: '.kohya.safetensors', fileName: (name) => `${name}.safetensors` },
  'kohya-fp16': { copySuffix: '.fp16.safetensors', fileName: (name) => `${name}.fp16.safetensors` },
  diffusers: { copySuffix: '.diffusers.safetensors', fileName: (name) => `${name}.diffusers.safetensors` },
  peft: { copySuffix: '.peft', fileName: (name) => `${name}.peft.zip` },
};

/**
 * The file (or, for peft, folder) a download of `format` sends, for the LoRA stored at `path` in
 * `storedFormat` (inspect's format name): the stored file itself when it is kohya and kohya is asked for.
 */
export function loraCopyPath(path: string, format: LoraFormat, storedFormat = 'kohya'): string {
  if (format === 'kohya' && storedFormat === 'kohya') return path;
  return `${path.replace(/\.safetensors$/i, '')}${FORMATS[format].copySuffix}`;
}

/** The download's file name: `mina.safetensors`, `mina.fp16.safetensors`, `mina.diffusers.safetensors`, `mina.peft.zip`;
 * the name as WebUI's `<lora:NAME>` can name it (webuiLoraName: `:`, `>`, `"`, `,` as `_`). */
export function loraDownloadName(name: string, format: LoraFormat): string {
  return FORMATS[format].fileName(webuiLoraName(name));
}

/** The files of a folder, recursively, relative to it (PEFT: adapter_config.json, adapter_model.safetensors,
 * text_encoder/...), sorted. */
async function folderFiles(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { recursive: true });
  const files: string[] = [];
  for (const entry of entries.sort()) if ((await stat(join(folder, entry))).isFile()) files.push(entry);
  return files;
}

/** A zip of a PEFT adapter folder, its files under `<folderName>/` (what PeftModel.from_pretrained opens). */
async function peftZip(folder: string, folderName: string): Promise<Readable> {
  const files = await folderFiles(folder);
  // a file deleted after the listing fails the download's stream, not the server (zip-stream.ts)
  return zipStream((zip) => {
    for (const file of files) zip.addFile(join(folder, file), `${folderName}/${file}`);
  });
}

/**
 * What GET /api/loras/:id/download sends for the LoRA stored at `path` (in `storedFormat`, default kohya) and
 * named `name`: its body, type and file name. A converted copy is made on first request (a request racing
 * another's conversion takes its copy).
 * @throws ToonloraError from the conversion (e.g. TL_ERR_LORA_FORMAT: a LoKr has no diffusers format)
 */
export async function loraDownload(
  lora: { path: string; name: string; storedFormat?: string },
  format: LoraFormat,
  tools: Pick<LoraTools, 'convertForDownload'>,
): Promise<{ body: Readable; contentType: string; fileName: string }> {
  const { path, name } = lora;
  const copy = loraCopyPath(path, format, lora.storedFormat);
  if (copy !== path && !existsSync(copy)) {
    try {
      await tools.convertForDownload(path, copy, format);
    } catch (error) {
      if (!(error instanceof ToonloraError && error.code === 'TL_ERR_OUTPUT_EXISTS')) throw error;
    }
  }
  const fileName = loraDownloadName(name, format);
  if (format === 'peft') {
    const folderName = `${webuiLoraName(name)}-peft`;
    return { body: await peftZip(copy, folderName), contentType: 'application/zip', fileName };
  }
  return { body: createReadStream(copy), contentType: 'application/octet-stream', fileName };
}
