// web/src/components/lora-delete-refusal.ts — the LoRA page's words for a delete the server refused because generate
// jobs not done use the LoRA (pure). The server's 409 message is the API's (it names POST /api/jobs/<id>/cancel);
// its `details.jobs` (src/server/routes/loras/index.ts loraInUse) say which jobs, of which character, so the page
// says where a web user cancels them: the Generate page, linked.
import { z } from 'zod';
import type { TextPart } from './page-links.js';

const usingJobsSchema = z.object({
  jobs: z.array(z.object({ id: z.string(), characterId: z.string(), status: z.string() })).min(1),
});

/**
 * What the LoRA page shows when deleting the LoRA `name` was refused because generate jobs use it: text and a link to
 * the Generate page of the (first) job's character; null for any other error (the banner shows it).
 */
export function loraInUseWords(error: unknown, name: string): TextPart[] | null {
  const e = error as { status?: unknown; code?: unknown; details?: unknown } | null;
  if (e?.status !== 409 || e.code !== 'TL_ERR_CONFLICT') return null;
  const parsed = usingJobsSchema.safeParse(e.details);
  if (!parsed.success) return null;
  const { jobs } = parsed.data;
  const one = jobs.length === 1;
  const list = jobs.map((job) => `${job.id}, ${job.status}`).join('; ');
  return [
    {
      text: `The LoRA ${name} was not deleted: ${one ? 'a generate job that is not done uses it' : `${jobs.length} generate jobs that are not done use it`} (${one ? 'job' : 'jobs'} ${list}). Cancel ${one ? 'it' : 'them'} on the `,
    },
    { text: 'Generate page', href: `#/c/${jobs[0]?.characterId}/generate` },
    { text: ` or let ${one ? 'it' : 'them'} finish, then delete the LoRA.` },
  ];
}
