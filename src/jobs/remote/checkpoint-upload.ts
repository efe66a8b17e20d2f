// src/jobs/remote/checkpoint-upload.ts — a remote run's checkpoints sent to the server as the trainer saves them
// (the server keeps the newest: a resume then continues on any worker), one upload at a time beside the run, never
// in the way of its event batches (which keep the lease). A checkpoint saved while one uploads waits; a newer one
// replaces it. A failed upload is reported once and training goes on: the next checkpoint is tried as usual.
import type { Readable } from 'node:stream';
import { zipCheckpoint } from './checkpoint-archive.js';
import { LeaseLostError } from './worker-client.js';

export interface CheckpointUploaderOptions {
  upload: (step: number, zip: { stream: Readable; bytes: number }, signal: AbortSignal) => Promise<void>;
  /** The upload of `step` failed (`why`); the run goes on. */
  onFailed: (step: number, why: string) => void;
  /** The server no longer knows the lease. */
  onLost: (error: LeaseLostError) => void;
}

export class CheckpointUploader {
  private next: { step: number; folder: string } | undefined;
  private running: Promise<void> = Promise.resolve();
  private busy = false;
  private readonly stop = new AbortController();

  constructor(private readonly options: CheckpointUploaderOptions) {}

  /** The checkpoint folder of `step` was saved: upload it once the one under way (if any) is done. */
  offer(step: number, folder: string): void {
    if (this.stop.signal.aborted) return;
    this.next = { step, folder };
    if (!this.busy) this.running = this.drain();
  }

  /** Resolves once the upload under way and the one waiting are done (a stopped run's last checkpoint reaches the
   * server before the job is reported stopped). */
  settled(): Promise<void> {
    return this.running;
  }

  /** Drops the waiting upload and aborts the one under way (the run succeeded: its checkpoints are not needed). */
  cancel(): void {
    this.next = undefined;
    this.stop.abort();
  }

  private async drain(): Promise<void> {
    this.busy = true;
    try {
      while (this.next && !this.stop.signal.aborted) {
        const { step, folder } = this.next;
        this.next = undefined;
        let zip: { stream: Readable; bytes: number } | undefined;
        try {
          zip = await zipCheckpoint(folder);
          await this.options.upload(step, zip, this.stop.signal);
        } catch (error) {
          zip?.stream.destroy();
          if (this.stop.signal.aborted) return;
          if (error instanceof LeaseLostError) {
            this.options.onLost(error);
            return;
          }
          this.options.onFailed(step, error instanceof Error ? error.message : String(error));
        }
      }
    } finally {
      this.busy = false;
    }
  }
}
