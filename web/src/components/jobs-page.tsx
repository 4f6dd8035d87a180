import { useEffect } from 'preact/hooks';
import { DashboardJobsDocument, type JobFieldsFragment } from '../../generated/graphql.js';
import { request } from '../api/client.js';
import { subscribeProgress } from '../api/live.js';
import { formatDateTime, formatDuration, formatRelative, runDuration } from '../format.js';
import { useLiveState, useLoad, useOnReturn, useThrottled } from '../hooks.js';
import { jobHref } from '../route.js';
import { CreateJobForm } from './create-job-form.js';
import { JobActions } from './job-actions.js';
import { Pager, useCursorPages } from './pager.js';
import { ProgressBar } from './progress-bar.js';
import { visible } from '../text.js';
import { Status } from './status.js';

const PAGE_SIZE = 20;

/** Every job, a page at a time, kept current by the all-jobs syncProgress stream and refetched when the user comes back to the tab. */
export function JobsPage() {
  const pages = useCursorPages();
  const { after } = pages;
  const jobs = useLoad(() => request(DashboardJobsDocument, { first: PAGE_SIZE, after }), [after]);
  const refresh = useThrottled(jobs.reload, 1_000);
  useLiveState(jobs.reload);
  useEffect(() => subscribeProgress(null, refresh), [refresh]);
  // Both events come when the user switches back to the tab: one fetch for the two.
  useOnReturn(refresh);

  const page = jobs.data?.jobs;
  return (
    <main>
      <section aria-labelledby="jobs-title">
        <h1 id="jobs-title">Jobs {page && <span class="count">({page.totalCount})</span>}</h1>
        {jobs.error && !jobs.error.unauthenticated && (
          <p class="error" role="alert">
            Could not load the jobs: {jobs.error.message}
          </p>
        )}
        {page && page.totalCount === 0 && <p>No jobs yet: create one below.</p>}
        {page && page.edges.length > 0 && (
          <div class="table-wrap">
            <table class="jobs">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Source</th>
                  <th scope="col">Schedule</th>
                  <th scope="col">Status</th>
                  <th scope="col">Last run</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {page.edges.map(({ node }) => (
                  <JobRow key={node.id} job={node} onChanged={jobs.reload} />
                ))}
              </tbody>
            </table>
          </div>
        )}
        <Pager label="Jobs pages" pages={pages} pageInfo={page?.pageInfo} />
      </section>
      <CreateJobForm onCreated={jobs.reload} />
    </main>
  );
}

function JobRow({ job, onChanged }: { job: JobFieldsFragment; onChanged(): void }) {
  const run = job.lastRun;
  const source = visible(`s3://${job.connectorConfig.bucketName}/${job.connectorConfig.prefix}`);
  return (
    <tr>
      <td data-label="Name">
        <a href={jobHref(job.id)}>{visible(job.name)}</a>
      </td>
      <td data-label="Source" class="mono">
        {source}
      </td>
      <td data-label="Schedule">
        {job.schedule}
        {job.timezone ? ` (${job.timezone})` : ''}
        <div class="sub" title={formatDateTime(job.nextRunAt)}>
          next: {job.nextRunAt ? formatRelative(job.nextRunAt) : '–'}
        </div>
      </td>
      <td data-label="Status">
        <Status value={job.status} />
      </td>
      <td data-label="Last run">
        {run ? (
          <>
            <Status value={run.status} />{' '}
            <span class="sub" title={formatDateTime(run.startedAt)}>
              {formatRelative(run.startedAt)}
              {run.status !== 'RUNNING' && run.startedAt ? `, took ${formatDuration(runDuration(run.startedAt, run.finishedAt) ?? 0)}` : ''}
            </span>
            {run.status === 'RUNNING' && <ProgressBar done={run.bytesDone} total={run.bytesTotal} label={`${visible(job.name)}: bytes done`} />}
            {run.error && <div class="sub error-text">{visible(run.error)}</div>}
          </>
        ) : (
          'never'
        )}
      </td>
      <td data-label="Actions">
        <JobActions job={job} onChanged={onChanged} />
      </td>
    </tr>
  );
}
