// src/jobs/data-layout.ts — where things live under the server's data folder (paths relative to it).
// Uploads get generated names; nothing a user named ever becomes a path.

/** `characters`: the folder holding each character's own. */
export const CHARACTERS_REL_DIR = 'characters';

/** `characters/<characterId>`: a character's own files (its uploads, its uploaded LoRAs). */
export function characterRelDir(characterId: string): string {
  return `${CHARACTERS_REL_DIR}/${characterId}`;
}

/** `characters/<characterId>/uploads`: the screenshots uploaded for a character. */
export function uploadsRelDir(characterId: string): string {
  return `${characterRelDir(characterId)}/uploads`;
}

/** `characters/<characterId>/uploads/<imageId>.<ext>` */
export function uploadRelPath(characterId: string, imageId: string, ext: string): string {
  return `${uploadsRelDir(characterId)}/${imageId}.${ext}`;
}

/** `characters/<characterId>/loras`: the LoRAs uploaded for a character (trained ones stay in their job's folder). */
export function lorasRelDir(characterId: string): string {
  return `${characterRelDir(characterId)}/loras`;
}

/** `characters/<characterId>/loras/<fileId>.safetensors` */
export function loraUploadRelPath(characterId: string, fileId: string): string {
  return `${lorasRelDir(characterId)}/${fileId}.safetensors`;
}

/** `jobs/<jobId>`: a job's own output folder (a prep job's dataset, a run's checkpoints, images). */
export function jobRelDir(jobId: string): string {
  return `jobs/${jobId}`;
}

/** The SQLite file. */
export const DATABASE_FILE = 'toonlora.db';
