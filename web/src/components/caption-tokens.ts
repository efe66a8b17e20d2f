// web/src/components/caption-tokens.ts — how long a caption is in CLIP tokens, as far as the browser can tell
// (pure), and the Dataset page's warning while a caption is edited past what CLIP reads. The trainer's warning
// (trainer/toonlora_trainer/text_embeddings.py long_caption_warnings) counts with the base's real CLIP BPE
// tokenizer, which only Python has here; this counts the pieces CLIP's pre-tokenizer splits a caption into
// (its regex: a run of letters, one digit, a run of punctuation), each at least one BPE token. So the count is a
// lower bound: a rare word BPE splits into several tokens counts once here. What this warns about, the trainer
// warns about too; the trainer may also warn about a caption this does not flag. Also the warning for a caption
// too short to be useful: one that names little besides the trigger and class words.

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

/**
 * The fewest words a caption should say besides the trigger and class words. SPEC's captioning: the trigger
 * goes before a description ("sks, a manga girl with black hair"; tags name hair, eyes, clothes); what a
 * caption leaves out is learned as part of the trigger. Fewer than two words is at most one detail (a caption
 * of the trigger alone, or prep's fallback "<trigger> <class>" when no captioner ran).
 */
export const CAPTION_MIN_WORDS = 2;

/** Words that say nothing about the image on their own ("a girl with" describes no more than "girl"). */
const FILLER = new Set(['a', 'an', 'the', 'of', 'with', 'and', 'in', 'on', 'at', 'to', 'is']);

/** The caption's words that describe the image: not the trigger, the class word or filler (case-insensitive). */
export function describingWords(caption: string, trigger: string, classWord: string): string[] {
  const word = trigger.trim().toLowerCase();
  // the trigger as a whole (it may hold punctuation, e.g. "mina.tl"), then word by word
  const text = word ? caption.toLowerCase().split(word).join(' ') : caption.toLowerCase();
  const skip = new Set([...FILLER, classWord.trim().toLowerCase()]);
  return (text.match(/[\p{L}\p{N}_'-]+/gu) ?? []).filter((w) => !skip.has(w));
}

/**
 * A warning while a caption (as saved; empty trains as "<trigger> <class>") says fewer than CAPTION_MIN_WORDS
 * words besides the trigger and class words; null when it says enough.
 */
export function captionShortWarning(caption: string, trigger: string, classWord: string): string | null {
  const count = describingWords(caption, trigger, classWord).length;
  if (count >= CAPTION_MIN_WORDS) return null;
  const base = `"${trigger} ${classWord}"`;
  const what = caption.trim()
    ? `This caption names ${count === 0 ? 'nothing' : 'one thing'} besides ${base}`
    : `An empty caption trains as ${base} alone`;
  return `${what}: what a caption does not name (pose, clothes, background) is learned as part of ${trigger} and shows up whenever it is used. Add a few tags for what you see, e.g. "smile, school uniform, outdoors".`;
}
