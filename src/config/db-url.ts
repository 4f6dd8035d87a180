import { resolve } from 'node:path';

/** Where the state lives: an embedded SQLite file (or memory) or a PostgreSQL server. */
export type DbTarget = { kind: 'sqlite'; file: string } | { kind: 'postgresql'; url: string };

export function isPostgresUrl(dbUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(dbUrl);
}

/**
 * Why a `postgresql://` URL cannot be used, or null when it can: a host and a database name are
 * required (the driver would otherwise fall back to its own defaults and a typo would go unnoticed).
 */
export function postgresUrlProblem(dbUrl: string): string | null {
  let url: URL;
  try {
    url = new URL(dbUrl);
  } catch {
    return 'is not a valid URL';
  }
  if (!url.hostname) return 'has no host';
  if (url.port && !/^\d+$/.test(url.port)) return 'has an invalid port';
  if (url.pathname.replace(/^\//, '') === '') return 'names no database (…/<database>)';
  return null;
}

/** `sqlite:<path>` → a resolved file path (`sqlite::memory:` stays in memory); `postgresql://…` as is. */
export function parseDbUrl(dbUrl: string): DbTarget {
  if (isPostgresUrl(dbUrl)) return { kind: 'postgresql', url: dbUrl };
  const path = dbUrl.replace(/^sqlite:/, '');
  return { kind: 'sqlite', file: path === ':memory:' ? path : resolve(path) };
}
