// web/src/components/caption-drafts.ts — a dataset caption edit that could not be saved, kept across the token
// prompt's reload (sessionStorage: this tab only) and put back in its row; and the other caption a refused save
// (409: changed in another tab since) carries. Pure: the storage is passed in.
import { z } from 'zod';

/** What a row keeps: its text and the caption (with its version) the edit started from. */
const draftSchema = z.object({ caption: z.string(), baseCaption: z.string(), baseVersion: z.string() });
export type CaptionDraft = z.infer<typeof draftSchema>;

/** The caption now saved, as a 409 TL_ERR_CONFLICT's details give it. */
const conflictSchema = z.object({ caption: z.string(), captionVersion: z.string() });
export type CaptionConflict = z.infer<typeof conflictSchema>;

/** The part of Storage (sessionStorage) the drafts use. */
export type DraftStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const draftKey = (datasetId: string, key: string) => `toonlora-caption-draft:${datasetId}:${key}`;

export function keepCaptionDraft(storage: DraftStorage, datasetId: string, key: string, draft: CaptionDraft) {
  storage.setItem(draftKey(datasetId, key), JSON.stringify(draft));
}

/** Whether a draft is kept for this item (read only: the row takes it when it mounts). */
export function hasCaptionDraft(storage: DraftStorage, datasetId: string, key: string): boolean {
  return storage.getItem(draftKey(datasetId, key)) !== null;
}

/** The draft kept for this item, removed from the storage (a later reload starts from the saved caption). */
export function takeCaptionDraft(storage: DraftStorage, datasetId: string, key: string): CaptionDraft | null {
  const raw = storage.getItem(draftKey(datasetId, key));
  if (raw === null) return null;
  storage.removeItem(draftKey(datasetId, key));
  try {
    const parsed = draftSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The current caption when `error` is the API's "changed since you read it" refusal; else null. */
export function captionConflict(error: unknown): CaptionConflict | null {
  const e = error as { status?: unknown; code?: unknown; details?: unknown } | null;
  if (e?.status !== 409 || e.code !== 'TL_ERR_CONFLICT') return null;
  const parsed = conflictSchema.safeParse(e.details);
  return parsed.success ? parsed.data : null;
}

/** The conflict's words: the caption as saved elsewhere, quoted (an empty one said so). */
export function conflictText(conflict: CaptionConflict): string {
  const now = conflict.caption === '' ? 'is empty' : `reads "${conflict.caption}"`;
  return `This caption was changed elsewhere (another tab or person) after this page loaded: it now ${now}. Your text is still in the box: keep yours or use the other.`;
}
