// src/server/routes/images/uploads-live.ts — the Upload page's live events (GET /api/characters/:id/stream): a
// character's screenshots changed (`uploads`: an upload stored some, a Remove took one away; the image routes say so)
// or one of its prep jobs was submitted or changed status (`prep`: the job store's change listener). The page re-reads
// the list or the jobs on each; nothing is polled (it re-read both every 5 s for another tab's uploads or build).
// A deleted character's streams are ended (the page asks for the character, gets 404 and says "No such character";
// before, they stayed open with only keep-alives and the page kept showing the screenshots). One hub per server, listening to the job store only while some stream is open.
import type { FastifyInstance } from 'fastify';
import type { JobStore } from '../../../jobs/job-store.js';
import type { UploadsLiveEvent } from '../../../schemas/api.js';

interface Follower {
  readonly characterId: string;
  readonly send: (event: UploadsLiveEvent) => void;
  /** Ends the follower's stream (its character is gone). */
  readonly end: () => void;
}

/** The live events of one server's open Upload page streams. */
export class UploadsLiveHub {
  private readonly followers = new Set<Follower>();
  private stopListening: (() => void) | null = null;

  constructor(
    private readonly jobStore: Pick<JobStore, 'onChange'>,
    private readonly reportError: (error: unknown) => void,
  ) {}

  /** Sends `characterId`'s changes to `send` until the returned function is called; `end` ends the stream when
   * the character is deleted. */
  follow(characterId: string, send: (event: UploadsLiveEvent) => void, end: () => void): () => void {
    const follower = { characterId, send, end };
    this.followers.add(follower);
    this.stopListening ??= this.jobStore.onChange(({ job }) => {
      if (job.kind === 'prep') this.tell(job.characterId, 'prep');
    });
    return () => {
      this.followers.delete(follower);
      if (this.followers.size > 0) return;
      this.stopListening?.();
      this.stopListening = null;
    };
  }

  /** `characterId`'s screenshots changed (stored or removed). */
  uploadsChanged(characterId: string): void {
    this.tell(characterId, 'uploads');
  }

  /** `characterId` was deleted: its followers' streams end (each stops following as it ends). */
  characterGone(characterId: string): void {
    for (const follower of [...this.followers]) {
      if (follower.characterId !== characterId) continue;
      try {
        follower.end();
      } catch (error) {
        this.reportError(error);
      }
    }
  }

  /** A follower's `send` failing is reported, never thrown into the route or the store. */
  private tell(characterId: string, event: UploadsLiveEvent): void {
    for (const follower of [...this.followers]) {
      if (follower.characterId !== characterId) continue;
      try {
        follower.send(event);
      } catch (error) {
        this.reportError(error);
      }
    }
  }
}

const hubs = new WeakMap<object, UploadsLiveHub>();

/** The one hub of `app`'s server (made on first use): keyed by its HTTP server, which the root instance and every
 * plugin's encapsulated instance share (keyed by the instance, the image routes' hub was not the root's). */
export function uploadsLiveHub(app: FastifyInstance): UploadsLiveHub {
  let hub = hubs.get(app.server);
  if (!hub) {
    hub = new UploadsLiveHub(app.jobStore, (error) =>
      app.log.error({ err: error }, 'sending an Upload page event failed'),
    );
    hubs.set(app.server, hub);
  }
  return hub;
}

/** One event as a server-sent event (not stored: no `id:`); its data names the character. */
export function uploadsLiveSse(event: UploadsLiveEvent, characterId: string): string {
  return `event: ${event}\ndata: ${JSON.stringify({ characterId })}\n\n`;
}
