import { useState } from 'preact/hooks';
import { DashboardObjectsDocument, type ObjectStatus } from '../../generated/graphql.js';
import { request } from '../api/client.js';
import { formatBytes, formatDateTime, percent } from '../format.js';
import { useLoad } from '../hooks.js';
import { Pager, useCursorPages } from './pager.js';
import { visible } from '../text.js';
import { Status } from './status.js';

const PAGE_SIZE = 50;
const STATUSES: ObjectStatus[] = ['PENDING', 'PROCESSING', 'PROCESSED', 'SKIPPED', 'FAILED', 'EXCLUDED', 'DELETED'];

/** A job's objects, a page at a time, filtered by status and key prefix. `version` changes → reload. */
export function ObjectsSection({ jobId, version }: { jobId: string; version: number }) {
  const [status, setStatus] = useState<ObjectStatus | ''>('');
  const [prefixInput, setPrefixInput] = useState('');
  const [keyPrefix, setKeyPrefix] = useState('');
  const pages = useCursorPages();
  const { after } = pages;
  const objects = useLoad(
    () => request(DashboardObjectsDocument, { jobId, first: PAGE_SIZE, after, status: status || null, keyPrefix: keyPrefix || null }),
    [jobId, after, status, keyPrefix, version],
  );
  // A refused filter shows its error alone, not the rows and count of the filter before it.
  const page = objects.error ? undefined : objects.data?.objects;

  const applyFilter = (event: Event) => {
    event.preventDefault();
    setKeyPrefix(prefixInput);
    pages.first();
  };

  return (
    <section aria-labelledby="objects-title">
      <h2 id="objects-title">
        Objects {page && <span class="count">({page.totalCount})</span>}
      </h2>
      <form class="filters" onSubmit={applyFilter} role="search" aria-label="Filter objects">
        <div class="field">
          <label for="objects-status">Status</label>
          <select
            id="objects-status"
            value={status}
            onChange={(e) => {
              setStatus((e.currentTarget as HTMLSelectElement).value as ObjectStatus | '');
              pages.first();
            }}
          >
            <option value="">All</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.toLowerCase()}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="objects-prefix">Key prefix</label>
          <input id="objects-prefix" value={prefixInput} onInput={(e) => setPrefixInput((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <button type="submit">Filter</button>
      </form>
      {objects.error && (
        <p class="error" role="alert">
          {objects.error.message}
        </p>
      )}
      {page && page.edges.length === 0 && <p>No objects{keyPrefix || status ? ' match this filter' : ' yet'}.</p>}
      {page && page.edges.length > 0 && (
        <div class="table-wrap">
          <table class="objects">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Status</th>
                <th scope="col">Size</th>
                <th scope="col">Local path</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {page.edges.map(({ node }) => (
                <tr key={node.id}>
                  <td data-label="Key" class="mono">
                    {visible(node.key)}
                    {node.error && <div class="error-text">{visible(node.error)}</div>}
                  </td>
                  <td data-label="Status">
                    <Status value={node.status} />
                    {/* PENDING with a checkpoint: partly downloaded by an earlier run, waiting to resume. */}
                    {(node.status === 'PROCESSING' || (node.status === 'PENDING' && node.lastPosition > 0)) && <div class="sub">{percent(node.lastPosition, node.size).toFixed(0)}% committed</div>}
                  </td>
                  <td data-label="Size" title={`${node.size} bytes`}>
                    {formatBytes(node.size)}
                  </td>
                  <td data-label="Local path" class="mono">
                    {node.localPath ? visible(node.localPath) : '–'}
                  </td>
                  <td data-label="Updated">{formatDateTime(node.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager label="Objects pages" pages={pages} pageInfo={page?.pageInfo} />
    </section>
  );
}
