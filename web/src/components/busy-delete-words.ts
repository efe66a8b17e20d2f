// web/src/components/busy-delete-words.ts — what the Characters and Screenshots pages say when the server refused a
// delete because jobs that are not done use the thing (pure). The server's 409 message is the API's (it names
// POST /api/jobs/<id>/cancel); its `details` say which jobs (src/jobs/catalog/characters.ts: `details.jobs`, each
// job's id, kind and status; images.ts: `details.jobIds`, the running dataset builds reading the screenshot), so the
// page says where a web user cancels them: the character's page for each job's kind, which has its Cancel button.
import { z } from 'zod';
import { type JobKind, jobKindSchema } from '../../../src/schemas/api.js';

/** The character page whose Cancel button stops a job of each kind, and what the page calls that job. */
const CANCEL_PAGES: Readonly<Record<JobKind, { page: string; job: string }>> = {
  prep: { page: 'Screenshots', job: 'dataset build' },
  train: { page: 'Train', job: 'training' },
  generate: { page: 'Generate', job: 'generation' },
};

const characterJobsSchema = z.object({
  jobs: z.array(z.object({ id: z.string(), kind: jobKindSchema, status: z.string() })).min(1),
});
const readingJobsSchema = z.object({ jobIds: z.array(z.string()).min(1) });

/** The refusal's `details` when it is the server's 409 conflict (an ApiError), else undefined. */
function conflictDetails(error: unknown): unknown {
  const e = error as { status?: unknown; code?: unknown; details?: unknown } | null;
  return e?.status === 409 && e.code === 'TL_ERR_CONFLICT' ? e.details : undefined;
}

/** `A`, `A and B`, `A, B and C`. */
function listWords(words: readonly string[]): string {
  return words.length < 2
    ? (words[0] ?? '')
    : `${words.slice(0, -1).join(', ')} and ${words[words.length - 1]}`;
}

/**
 * What the Characters page says when deleting the character `name` was refused because its jobs are not done: which
 * ones, and the pages of the character to cancel them on; null for any other error (the banner shows it as it is).
 */
export function characterBusyWords(error: unknown, name: string): string | null {
  const parsed = characterJobsSchema.safeParse(conflictDetails(error));
  if (!parsed.success) return null;
  const { jobs } = parsed.data;
  const one = jobs.length === 1;
  const list = jobs.map((job) => `${CANCEL_PAGES[job.kind].job} ${job.id}, ${job.status}`).join('; ');
  const pages = [...new Set(jobs.map((job) => CANCEL_PAGES[job.kind].page))];
  return (
    `The character ${name} was not deleted: ${one ? 'a job of it is not done' : `${jobs.length} jobs of it are not done`} (${list}). ` +
    `Cancel ${one ? 'it' : 'them'} on its ${listWords(pages)} ${pages.length === 1 ? 'page' : 'pages'} or let ${one ? 'it' : 'them'} finish, then delete the character.`
  );
}

/**
 * What the Screenshots page says when removing the screenshot `fileName` was refused because the running dataset
 * build reads it; null for any other error (the banner shows it as it is).
 */
export function screenshotBusyWords(error: unknown, fileName: string): string | null {
  const parsed = readingJobsSchema.safeParse(conflictDetails(error));
  if (!parsed.success) return null;
  return `The screenshot ${fileName} was not removed: the dataset build that is running (job ${parsed.data.jobIds[0]}) reads it. Remove it once the build has ended, or stop the build with "Cancel the build" on this page.`;
}
