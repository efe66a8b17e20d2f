// web/src/components/hub-pull-form.tsx — the Models page's field that pulls any Hugging Face Hub repo
// `owner/name` as an SD1.5 base, at an optional revision (branch, tag or commit sha): checks the text
// (hub-repo-input.ts), then hands the id to the page, which starts the pull and follows it on the repo's row; the
// typed text stays until the pull succeeds (a refused repo can be corrected). The server refuses what the CLI refuses (not SD1.5, gated).
// How the pull goes (started, progress, refused / failed / done) shows under the form in a live region, with a
// button to the repo's card (the list puts it at its end, far below). A pasted address's /tree/<rev> fills Revision.
// The fields take their width from the row, never more: `size={44}` reached x=385 on a 375 px phone.
import { type FormEvent, useEffect, useState } from 'react';
import {
  fieldsAfterPull,
  readHubRepoInput,
  readHubRevisionInput,
  revisionOfHubAddress,
} from './hub-repo-input.js';
import type { hubPullOutcome } from './model-pull-view.js';

export function HubPullForm({
  onPull,
  outcome,
  onShowCard,
}: {
  /** Starts the pull; resolves with the model the server pulls (its row's id), or null when it did not start. */
  onPull: (repo: string, revision: string | undefined) => Promise<string | null>;
  /** The repo last submitted and how its pull goes; null before any. */
  outcome: (ReturnType<typeof hubPullOutcome> & { repo: string }) | null;
  /** Scrolls to the repo's card and focuses it. */
  onShowCard: (repo: string) => void;
}) {
  const [text, setText] = useState('');
  const [revision, setRevision] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  /** The model whose pull this form started and has not seen end yet. */
  const [pending, setPending] = useState<string | null>(null);

  useEffect(() => {
    const next = fieldsAfterPull(pending, outcome);
    if (next === 'wait') return;
    if (next === 'clear') {
      setText('');
      setRevision('');
    }
    setPending(null);
  }, [pending, outcome]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const read = readHubRepoInput(text);
    setProblem(read.problem);
    if (read.repo === null) return;
    setBusy(true);
    setPending(await onPull(read.repo, readHubRevisionInput(revision)));
    setBusy(false);
  };

  return (
    <form className="panel" onSubmit={submit} data-testid="hub-pull-form">
      <h3>Pull a base from the Hugging Face Hub</h3>
      <div className="form-row">
        <label style={{ flex: '0 1 44ch', minWidth: 0 }}>
          Hub repo (owner/name)
          <input
            name="repo"
            data-testid="hub-repo"
            style={{ width: '100%' }}
            placeholder="stable-diffusion-v1-5/stable-diffusion-v1-5"
            value={text}
            onChange={(e) => {
              setText(e.target.value);
              const pasted = revisionOfHubAddress(e.target.value);
              if (pasted !== undefined) setRevision(pasted);
            }}
          />
        </label>
        <label style={{ flex: '0 1 14ch', minWidth: 0 }}>
          Revision (optional)
          <input
            name="revision"
            data-testid="hub-revision"
            style={{ width: '100%' }}
            placeholder="main"
            value={revision}
            onChange={(e) => setRevision(e.target.value)}
          />
        </label>
        <button type="submit" data-testid="hub-pull" aria-label="Pull the Hub repo" disabled={busy}>
          Pull
        </button>
      </div>
      <p className="muted small">
        Any diffusers SD1.5 repo, pulled into the server's Hugging Face cache like{' '}
        <code>toonlora models pull owner/name [--revision REV]</code>: SDXL, SD2 and inpainting repos are
        refused before any weights; a gated or private repo needs HF_TOKEN on the server. A revision (a
        branch, tag or commit sha; empty: main) is then the base <code>owner/name@REV</code>.
      </p>
      {problem && (
        <p className="field-warning small" data-testid="hub-repo-problem">
          {problem}
        </p>
      )}
      <div role="status" aria-live="polite" data-testid="hub-pull-outcome">
        {outcome && (
          <p className={`small ${outcome.warn ? 'field-warning' : ''}`}>
            {outcome.text}{' '}
            {!outcome.active && (
              <button type="button" className="secondary" onClick={() => onShowCard(outcome.repo)}>
                Show its card
              </button>
            )}
          </p>
        )}
      </div>
      {outcome?.detail && (
        <p className="muted small" aria-live="off" data-testid="hub-pull-detail">
          {outcome.detail}
        </p>
      )}
    </form>
  );
}
