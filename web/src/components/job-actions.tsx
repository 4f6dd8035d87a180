import { useState } from 'preact/hooks';
import {
  DashboardCancelRunDocument,
  DashboardDeleteJobDocument,
  DashboardPauseJobDocument,
  DashboardResumeJobDocument,
  DashboardTriggerJobDocument,
} from '../../generated/graphql.js';
import { request } from '../api/client.js';
import { visible } from '../text.js';

interface Props {
  job: { id: string; name: string; status: string; lastRun?: { status: string } | null };
  onChanged(action: 'trigger' | 'pause' | 'resume' | 'cancel' | 'delete'): void;
}

/** Trigger, Pause/Resume, Cancel and Delete (confirmed) for one job, as real buttons. */
export function JobActions({ job, onChanged }: Props) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const run = (action: Parameters<Props['onChanged']>[0], call: () => Promise<unknown>) => async () => {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await call();
      onChanged(action);
    } catch (reason) {
      setError(reason instanceof Error ? reason.message : String(reason));
    } finally {
      setBusy(false);
    }
  };
  const id = job.id;
  const remove = () => {
    if (!window.confirm(`Delete the job "${visible(job.name)}"? Its schedule and history go; downloaded files stay on disk.`)) return;
    void run('delete', () => request(DashboardDeleteJobDocument, { id }))();
  };
  const paused = job.status === 'PAUSED';
  const trigger = async () => {
    const answer = await request(DashboardTriggerJobDocument, { id });
    if (answer.triggerJob.run.status === 'SKIPPED') setNotice('A run is already going: this trigger was recorded as skipped.');
  };

  return (
    <div class="actions" role="group" aria-label={`Actions for ${visible(job.name)}`}>
      <button type="button" disabled={busy} onClick={run('trigger', trigger)}>
        Trigger
      </button>
      {paused ? (
        <button type="button" disabled={busy} onClick={run('resume', () => request(DashboardResumeJobDocument, { id }))}>
          Resume
        </button>
      ) : (
        <button type="button" disabled={busy} onClick={run('pause', () => request(DashboardPauseJobDocument, { id }))}>
          Pause
        </button>
      )}
      <button type="button" disabled={busy || (job.status !== 'RUNNING' && job.lastRun?.status !== 'RUNNING')} onClick={run('cancel', () => request(DashboardCancelRunDocument, { jobId: id }))}>
        Cancel
      </button>
      <button type="button" class="danger" disabled={busy} onClick={remove}>
        Delete
      </button>
      {notice && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
