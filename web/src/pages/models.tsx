// web/src/pages/models.tsx — the Models page: every registry model with what it is for, its size and whether
// it is on the server's disk (partial with the bytes a stopped pull left), a Pull button, a running pull's
// progress bar (bytes and rate) with Cancel, and how the pull ended; then the SD1.5 bases by Hub id (Resume on a
// partial one), and a field to pull any Hub repo `owner/name` as a base, as `toonlora models pull owner/name`
// does, saying beside it how that pull goes; a Hub repo whose pull was refused or failed is listed as that, with
// Retry and Dismiss, not as a base. A Hub repo pulled only at a tag is "at v2 only" with its `owner/name@v2` base
// and a "Pull main" button (its bare id is main, not pulled). A model on the server's disk has a Remove button,
// which asks first, naming the size (DELETE /api/models/:id, as `toonlora models rm`). Pulls run in the server; the
// page follows each one's event stream while it runs and while the page is shown: a start answered after the user
// left opens none (it did, and that stream stayed open on the next page until the pull ended).
import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '../../../src/format-bytes.js';
import type { ModelPull, ModelRow } from '../../../src/schemas/models-api.js';
import { ApiError } from '../api.js';
import { errorText } from '../components/error-text.js';
import { hubBaseNames, hubOnlyAt, hubPullCommand } from '../components/hub-bases.js';
import { HubPullForm } from '../components/hub-pull-form.js';
import { readUntilAnswered } from '../components/initial-read.js';
import { useStillShown } from '../components/newest-read.js';
import { removedText, removeQuestion } from '../components/model-remove-view.js';
import { readFailureReport } from '../components/shown-page.js';
import {
  attemptButtonLabel,
  diskStateText,
  hubPullOutcome,
  isPullActive,
  listedRows,
  pullButtonLabel,
  cardShowsPullEnd,
  pullEndView,
  pullProgressView,
} from '../components/model-pull-view.js';
import { announcePulled, followPull, modelsApi } from '../models-api.js';

function PullProgress({ pull }: { pull: ModelPull }) {
  const view = pullProgressView(pull);
  return (
    <div data-testid="pull-progress">
      {view.fraction === null ? <progress /> : <progress value={view.fraction} max={1} />}
      <div className="small" data-testid="pull-file">
        {view.fileText}
      </div>
      <div className="muted small">{view.totalText}</div>
      {pull.message && pull.file !== null && <div className="muted small">{pull.message}</div>}
    </div>
  );
}

/**
 * A pull's progress bar while it runs, else how it ended (nothing before the first pull; on a model's card,
 * nothing for a pull of a revision the Hub lacks: the form that started it says so).
 */
function PullStatus({ pull, onCard = false }: { pull: ModelPull | null; onCard?: boolean }) {
  const active = isPullActive(pull);
  const ended = pull && !active && (!onCard || cardShowsPullEnd(pull)) ? pullEndView(pull) : null;
  return (
    <>
      {active && pull && <PullProgress pull={pull} />}
      {ended && (
        <p className={`small ${ended.warn ? 'field-warning' : 'muted'}`} data-testid="pull-end">
          {ended.text}
        </p>
      )}
    </>
  );
}

/**
 * Cancel while a pull runs, else the Pull / Resume / Retry button `label` names (none without a label). Each is
 * named with the model (`Pull wd-vit-tagger-v3`): a screen reader's button list read seven "Pull" and two "Retry".
 */
function PullButton({
  model,
  pull,
  label,
  onPull,
  onCancel,
}: {
  model: string;
  pull: ModelPull | null;
  label: string | null;
  onPull: () => void;
  onCancel: () => void;
}) {
  if (isPullActive(pull)) {
    const text = pull?.status === 'stopping' ? 'Cancelling…' : 'Cancel';
    return (
      <button
        type="button"
        className="secondary"
        data-testid="cancel-pull"
        aria-label={`${text} the pull of ${model}`}
        disabled={pull?.status === 'stopping'}
        onClick={onCancel}
      >
        {text}
      </button>
    );
  }
  return label ? (
    <button
      type="button"
      data-testid="pull-model"
      aria-label={label === 'Pull main' ? `Pull main of ${model}` : `${label} ${model}`}
      onClick={onPull}
    >
      {label}
    </button>
  ) : null;
}

/**
 * A Hub repo pulled here with nothing of it on disk: while its pull runs, its progress; once refused, failed or
 * stopped, what happened, Retry and Dismiss (it was listed as an SD1.5 base, "missing", with a Pull button).
 */
function PullAttemptCard({
  row,
  pull,
  onPull,
  onCancel,
  onDismiss,
}: {
  row: ModelRow;
  pull: ModelPull | null;
  onPull: () => void;
  onCancel: () => void;
  onDismiss: () => void;
}) {
  const active = isPullActive(pull);
  const label = attemptButtonLabel(pull);
  return (
    <div
      className="panel model-card"
      data-testid="model-row"
      data-model={row.id}
      data-attempt="true"
      tabIndex={-1}
    >
      <h3>{row.id}</h3>
      <p className="small" data-testid="model-description">
        {row.description}
      </p>
      <PullStatus pull={pull} />
      <div className="row">
        <PullButton model={row.id} pull={pull} label={label} onPull={onPull} onCancel={onCancel} />
        {!active && (
          <button
            type="button"
            className="secondary"
            data-testid="dismiss-pull"
            aria-label={`Dismiss ${row.id}`}
            onClick={onDismiss}
          >
            Dismiss
          </button>
        )}
      </div>
    </div>
  );
}

/** Remove, on a model with something on the server's disk and no pull running: asks first, naming the size. */
function RemoveButton({
  row,
  pull,
  onRemove,
}: {
  row: ModelRow;
  pull: ModelPull | null;
  onRemove: () => void;
}) {
  const question = removeQuestion(row);
  if (question === null || isPullActive(pull)) return null;
  return (
    <button
      type="button"
      className="secondary"
      data-testid="remove-model"
      aria-label={`Remove ${row.id}`}
      onClick={() => window.confirm(question) && onRemove()}
    >
      Remove
    </button>
  );
}

function ModelCard({
  row,
  pull,
  onPull,
  onCancel,
  onRemove,
}: {
  row: ModelRow;
  pull: ModelPull | null;
  onPull: () => void;
  onCancel: () => void;
  onRemove: () => void;
}) {
  const pullLabel = pullButtonLabel(row, pull);
  const bases = hubBaseNames(row);
  // pulled only at tags: on the server as those bases, main (the bare id) not; its Pull pulls main
  const onlyAt = hubOnlyAt(row);
  return (
    <div className="panel model-card" data-testid="model-row" data-model={row.id} tabIndex={-1}>
      <h3>
        {row.id} <span className="muted small">{row.sizeBytes > 0 && formatBytes(row.sizeBytes)}</span>
      </h3>
      <p className="small">{row.description}</p>
      <p className="muted small">
        Used by {row.stages.join(', ')} · {row.license} · {row.source}
      </p>
      <p className="small">
        On the server: <strong data-testid="model-state">{diskStateText(row)}</strong>
        {(row.state === 'complete' || onlyAt) && row.path && (
          <span className="muted">
            {' '}
            at <code>{row.path}</code>
          </span>
        )}
        {row.state !== 'complete' && !onlyAt && (
          <span className="muted"> (without it: {row.whenMissing})</span>
        )}
      </p>
      {row.origin === 'hub' && !onlyAt && (
        <p className="muted small" data-testid="hub-model">
          Pulled by Hub id (here, or <code>{hubPullCommand(bases[0] ?? row.id)}</code> on the server); once
          complete, train and generate with it as base <code>{bases[0]}</code>.
        </p>
      )}
      {onlyAt && (
        <p className="muted small" data-testid="hub-model">
          Pulled at {onlyAt.join(', ')} only: train and generate with it as base{onlyAt.length > 1 ? 's' : ''}{' '}
          {bases.map((name, i) => (
            <span key={name}>
              {i > 0 && ', '}
              <code>{name}</code>
            </span>
          ))}
          . Its main (base <code>{row.id}</code>) is not pulled: Pull main pulls it (or{' '}
          <code>{hubPullCommand(row.id)}</code> on the server).
        </p>
      )}
      {bases.length > 1 && !onlyAt && (
        <p className="muted small" data-testid="hub-revisions">
          Other revisions on the server, each a base:{' '}
          {bases.slice(1).map((name, i) => (
            <span key={name}>
              {i > 0 && ', '}
              <code>{name}</code>
            </span>
          ))}
          .
        </p>
      )}
      <PullStatus pull={pull} onCard />
      <div className="row">
        <PullButton model={row.id} pull={pull} label={pullLabel} onPull={onPull} onCancel={onCancel} />
        <RemoveButton row={row} pull={pull} onRemove={onRemove} />
      </div>
    </div>
  );
}

export function ModelsPage({ onError }: { onError: (error: unknown) => void }) {
  const [rows, setRows] = useState<ModelRow[] | null>(null);
  /** The latest snapshot of each pull this page saw (newer than the list's). */
  const [pulls, setPulls] = useState<Record<string, ModelPull>>({});
  const following = useRef(new Map<string, () => void>());
  const stillShown = useStillShown();
  /** The Hub repo last typed into the form, and why its pull did not start (null: it started). */
  const [submitted, setSubmitted] = useState<{ repo: string; startError: string | null } | null>(null);
  /** Pull attempts dismissed: repo -> the startedAt of the pull dismissed. */
  const [dismissed, setDismissed] = useState<Record<string, string>>({});

  // reads (the list, a pull's stream): their failure is dropped once the user went on to another page (shown-page.ts)
  const onReadError = readFailureReport(onError);
  const load = () => modelsApi.list().then(setRows, onReadError);
  const show = (pull: ModelPull) =>
    setPulls((current) => {
      const seen = current[pull.model];
      return seen && seen.seq >= pull.seq ? current : { ...current, [pull.model]: pull };
    });

  /** Follows the pull of `id` while the page is shown (its streams are closed when it goes). */
  const follow = (id: string) => {
    if (!stillShown() || following.current.has(id)) return;
    const stop = followPull(id, {
      pull: (pull) => {
        show(pull);
        if (isPullActive(pull)) return;
        following.current.get(id)?.();
        following.current.delete(id);
        if (pull.status === 'succeeded') announcePulled(id);
        load();
      },
      unreadable: (problem) => onReadError(new Error(problem)),
    });
    following.current.set(id, stop);
  };

  // biome-ignore lint/correctness/useExhaustiveDependencies: load once; streams end with the page
  useEffect(() => {
    // retried while the server cannot be reached (initial-read.ts)
    const stopFirstRead = readUntilAnswered(() => modelsApi.list(), setRows, onError);
    const streams = following.current;
    return () => {
      stopFirstRead();
      for (const stop of streams.values()) stop();
      streams.clear();
    };
  }, []);

  // Pulls the list shows running (started in another tab, or before a reload) are followed too.
  // biome-ignore lint/correctness/useExhaustiveDependencies: follow is stable in effect
  useEffect(() => {
    for (const row of rows ?? []) if (row.pull && isPullActive(row.pull)) follow(row.id);
  }, [rows]);

  const pullOf = (row: ModelRow): ModelPull | null => {
    const seen = pulls[row.id];
    if (!row.pull) return seen ?? null;
    return seen && seen.seq >= row.pull.seq ? seen : row.pull;
  };

  /** A pull the server started (or joined): shown and followed; a Hub repo new to the list gets its row. */
  const started = (pull: ModelPull) => {
    if (!stillShown()) return; // the user went on to another page before the server answered
    show(pull);
    follow(pull.model);
    if (!rows?.some((row) => row.id === pull.model)) load();
  };
  /** Starts (or joins) the pull of `name`; the server names the model it pulls (a registry repo: its id). */
  const start = async (name: string): Promise<boolean> => {
    try {
      started(await modelsApi.pull(name));
      return true;
    } catch (error) {
      onError(error);
      return false;
    }
  };
  /** The form's pull: its outcome shows beside the form (a refusal used to appear only ~2800 px down). */
  const startFromForm = async (repo: string, revision: string | undefined): Promise<string | null> => {
    setSubmitted({ repo, startError: null });
    try {
      const pull = await modelsApi.pull(repo, revision);
      setSubmitted({ repo: pull.model, startError: null });
      started(pull);
      return pull.model;
    } catch (error) {
      setSubmitted({
        repo,
        startError: errorText(error, error instanceof ApiError ? error.status : undefined),
      });
      return null;
    }
  };
  const showCard = (repo: string) => {
    const card = [...document.querySelectorAll<HTMLElement>('[data-testid=model-row]')].find(
      (element) => element.dataset.model === repo,
    );
    card?.scrollIntoView({ block: 'center' });
    card?.focus({ preventScroll: true });
  };
  const submittedPull = submitted
    ? (pulls[submitted.repo] ?? rows?.find((row) => row.id === submitted.repo)?.pull ?? null)
    : null;
  const outcome = submitted
    ? { repo: submitted.repo, ...hubPullOutcome(submitted.repo, submittedPull, submitted.startError) }
    : null;

  const cancel = async (id: string) => {
    try {
      show(await modelsApi.cancel(id));
    } catch (error) {
      onError(error);
    }
  };
  /** What the last Remove freed, said at the top of the list. */
  const [removed, setRemoved] = useState<string | null>(null);
  const remove = async (id: string) => {
    try {
      setRemoved(removedText(await modelsApi.remove(id)));
      setPulls(({ [id]: _gone, ...rest }) => rest);
      announcePulled(id); // the Train page re-reads its bases: this one is gone
      await load();
    } catch (error) {
      onError(error);
    }
  };

  return (
    <section>
      <h1>Models</h1>
      <p className="muted small">
        The models toonlora uses, on the server's disk, then the SD1.5 bases pulled there by Hub id. A pull
        downloads into the server's caches (resumable, checksum-verified), as{' '}
        <code>toonlora models pull</code> does on its machine.
      </p>
      <HubPullForm onPull={startFromForm} outcome={outcome} onShowCard={showCard} />
      {removed && (
        <p className="small" role="status" data-testid="model-removed">
          {removed}
        </p>
      )}
      {listedRows(rows ?? [], pullOf, dismissed).map((row) =>
        row.pullAttempt ? (
          <PullAttemptCard
            key={row.id}
            row={row}
            pull={pullOf(row)}
            onPull={() => start(row.id)}
            onCancel={() => cancel(row.id)}
            onDismiss={() => {
              const pull = pullOf(row);
              if (pull) setDismissed((current) => ({ ...current, [row.id]: pull.startedAt }));
            }}
          />
        ) : (
          <ModelCard
            key={row.id}
            row={row}
            pull={pullOf(row)}
            onPull={() => start(row.id)}
            onCancel={() => cancel(row.id)}
            onRemove={() => remove(row.id)}
          />
        ),
      )}
    </section>
  );
}
