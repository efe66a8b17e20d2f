// src/schemas/api-job-delete.ts — DELETE /api/jobs/:id's query: whether a finished generate job's images (and sweep
// grids) go with it in the same request (src/jobs/job-delete.ts). Without it such a job is refused while its images
// are listed, as before, so a client that relied on that refusal loses nothing it did not ask to delete.
import { z } from 'zod';

export const jobDeleteQuerySchema = z.object({
  withImages: z
    .enum(['true', 'false'])
    .optional()
    .describe(
      '`true`: a generate job\'s generated images and grids are deleted with it (rows and files, all or none; the Generate page\'s "Delete this batch"); default false: refused (409) while it has any',
    ),
});
