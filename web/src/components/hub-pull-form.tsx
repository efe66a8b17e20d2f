// web/src/components/hub-pull-form.tsx — the Models page's field that pulls any Hugging Face Hub repo
// `owner/name` as an SD1.5 base: checks the text (hub-repo-input.ts), then hands the id to the page, which
// starts the pull and follows it on the repo's row. The server refuses what the CLI refuses (not SD1.5, gated).
import { type FormEvent, useState } from 'react';
import { readHubRepoInput } from './hub-repo-input.js';

export function HubPullForm({ onPull }: { onPull: (repo: string) => Promise<boolean> }) {
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const read = readHubRepoInput(text);
    setProblem(read.problem);
    if (read.repo === null) return;
    setBusy(true);
    if (await onPull(read.repo)) setText('');
    setBusy(false);
  };

  return (
    <form className="panel" onSubmit={submit} data-testid="hub-pull-form">
      <h3>Pull a base from the Hugging Face Hub</h3>
      <div className="form-row">
        <label>
          Hub repo (owner/name)
          <input
            name="repo"
            data-testid="hub-repo"
            size={44}
          placeholder="stable-diffusion-v1-5/stable-diffusion-v1-5"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </label>
        <button type="submit" data-testid="hub-pull" disabled={busy}>
          Pull
        </button>
      </div>
      <p className="muted small">
        Any diffusers SD1.5 repo, pulled into the server's Hugging Face cache like{' '}
        <code>toonlora models pull owner/name</code>: SDXL, SD2 and inpainting repos are refused before any
        weights; a gated or private repo needs HF_TOKEN on the server.
      </p>
      {problem && (
        <p className="field-warning small" data-testid="hub-repo-problem">
          {problem}
        </p>
      )}
    </form>
  );
}
