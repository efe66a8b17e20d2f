// web/src/components/upload-conversions.ts — what the Upload page says of the files an upload stored converted
// (pure): a TIFF arrives as a PNG under its base name (of a multi-page one, page 1 only), and the answer's
// `converted` says so for each; before, the page dropped those notes, so `scan.png` appeared with no word why.
import type { UploadConversion, UploadResult } from '../../../src/schemas/api.js';
import { visibleText } from '../../../src/visible-text.js';

/** The upload's converted files, in order, each note made safe to show (it names the user's file); [] for none. */
export function conversionNotes(result: UploadResult): UploadConversion[] {
  return (result.converted ?? []).map((conversion) => ({
    ...conversion,
    note: visibleText(conversion.note),
  }));
}

/** The notes still true once the screenshot `removedId` is removed (its own named a file no longer there). */
export function conversionsLeftAfterRemove(
  conversions: readonly UploadConversion[],
  removedId: string,
): UploadConversion[] {
  return conversions.filter((conversion) => conversion.id !== removedId);
}
