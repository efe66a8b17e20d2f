// web/src/components/caption-tokens.ts — how long a caption is in CLIP tokens, as far as the browser can tell
// (pure), and the Dataset page's warning while a caption is edited past what CLIP reads. The trainer's warning
// (trainer/toonlora_trainer/text_embeddings.py long_caption_warnings) counts with the base's real CLIP BPE
// tokenizer, which only Python has here; this counts the pieces CLIP's pre-tokenizer splits a caption into
// (its regex: a run of letters, one digit, a run of punctuation), each at least one BPE token. So the count is a
// lower bound: a rare word BPE splits into several tokens counts once here. What this warns about, the trainer
// warns about too; the trainer may also warn about a caption this does not flag.

/** Tokens of text CLIP reads: its 77 positions less the start and end tokens (prompt_token_limit for SD1.5). */
export const CLIP_TEXT_TOKENS = 75;

// CLIP's tokenizer (openai/CLIP simple_tokenizer.py `pat`, without its special tokens), after lower-casing.
const CLIP_PIECE = /'s|'t|'re|'ve|'m|'ll|'d|\p{L}+|\p{N}|[^\s\p{L}\p{N}]+/gu;

/** The CLIP pieces of `caption` (no start / end token): the fewest tokens it can encode to. */
export function clipTokenLowerBound(caption: string): number {
  return caption.toLowerCase().match(CLIP_PIECE)?.length ?? 0;
}

/**
 * A warning while a caption is longer than CLIP reads, in the trainer's words; null when it fits (as far as the
 * lower bound can tell).
 */
export function captionLengthWarning(caption: string): string | null {
  const count = clipTokenLowerBound(caption);
  if (count <= CLIP_TEXT_TOKENS) return null;
  return `This caption is at least ${count} tokens, longer than the ${CLIP_TEXT_TOKENS} tokens CLIP reads: the tags past them are ignored. Shorten it (fewer tags) to train every tag.`;
}
