import { useState } from 'preact/hooks';
import { DashboardJobDocument } from '../../generated/graphql.js';
import { request } from '../api/client.js';
import { formatDateTime, formatRelative } from '../format.js';
import { useLoad, useThrottled } from '../hooks.js';
import { JobActions } from './job-actions.js';
import { LivePanel } from './live-panel.js';
import { ObjectsSection } from './objects-section.js';
import { RunsSection } from './runs-section.js';
import { visible } from '../text.js';
import { Status } from './status.js';

const RUNS_SHOWN = 30;

/** One job: its settings and actions, the run in progress live, its runs and its objects. */
export function JobPage({ jobId }: { jobId: string }) {
  const page = useLoad(() => request(DashboardJobDocument, { jobId, runs: RUNS_SHOWN }), [jobId]);
  const [objectsVersion, setObjectsVersion] = useState(0);
  const reloadAll = useThrottled(() => {
    page.reload();
    setObjectsVersion((v) => v + 1);
  }, 500);
  // While objects finish, the runs and objects tables follow at most every 2 s.
  const reloadSoon = useThrottled(reloadAll, 2_000);

  const job = page.data?.job;
  // A deleted (or never created) job: `runs(jobId)` answers NOT_FOUND, so the query as a whole fails.
  const notFound = page.error?.errors.some((e) => e.extensions?.code === 'NOT_FOUND') || (page.data && !job);
  if (page.error && !page.error.unauthenticated && !notFound) {
    return (
      <main>
        <p class="error" role="alert">
          Could not load the job: {page.error.message}
        </p>
      </main>
    );
  }
  if (!notFound && !page.data) return <main aria-busy="true">Loading…</main>;
  if (notFound || !page.data || !job) {
    return (
      <main>
        <h1>Job not found</h1>
        <p>
          No job has the id <span class="mono">{jobId}</span> (it may have been deleted). <a href="#/">All jobs</a>
        </p>
      </main>
    );
  }
  const runs = page.data.runs.edges.map((e) => e.node);
  return (
    <main>
      <p>
        <a href="#/">← All jobs</a>
      </p>
      <h1>
        {visible(job.name)} <Status value={job.status} />
      </h1>
      <dl class="job-facts">
        <div>
          <dt>Source</dt>
          <dd class="mono">
            {visible(`s3://${job.connectorConfig.bucketName}/${job.connectorConfig.prefix}`)}
          </dd>
        </div>
        <div>
          <dt>Schedule</dt>
          <dd>
            {job.schedule}
            {job.timezone ? ` (${job.timezone})` : ''}
          </dd>
        </div>
        <div>
          <dt>Next run</dt>
          <dd title={formatDateTime(job.nextRunAt)}>{job.nextRunAt ? formatRelative(job.nextRunAt) : '–'}</dd>
        </div>
        <div>
          <dt>Created</dt>
          <dd>{formatDateTime(job.createdAt)}</dd>
        </div>
      </dl>
      <JobActions
        job={job}
        onChanged={(action) => {
          if (action === 'delete') location.hash = '#/';
          else reloadAll();
        }}
      />
      <LivePanel
        jobId={job.id}
        latest={runs.find((r) => r.status !== 'SKIPPED') ?? null}
        inProgress={page.data.inProgress.edges.map((edge) => edge.node)}
        onRunChange={reloadAll}
        onObjectChange={reloadSoon}
        onJobGone={page.reload}
      />
      <RunsSection runs={runs} total={page.data.runs.totalCount} />
      <ObjectsSection jobId={job.id} version={objectsVersion} />
    </main>
  );
}
