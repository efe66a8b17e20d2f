// src/server/upload-limits.ts — the server's upload limits are the upload's own (src/jobs/upload-limits.ts,
// where src/jobs/upload-images.ts checks each file against them); re-exported for app.ts.
export { type UploadLimits, uploadLimitsFrom } from '../jobs/upload-limits.js';
