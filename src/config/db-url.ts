import { resolve } from 'node:path';

/** Where the state lives: an embedded SQLite file (or memory) or a PostgreSQL server. */
export type DbTarget = { kind: 'sqlite'; file: string } | { kind: 'postgresql'; url: string; schema?: string };

export function isPostgresUrl(dbUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(dbUrl);
}

/**
 * The first part of `url` among `parts` that is not %-decodable (a `%` not followed by two hex
 * digits, or escapes that are not UTF-8), or null. Drivers decode these parts with
 * decodeURIComponent, which throws a bare "URI malformed" naming neither the variable nor the part.
 */
export function malformedEscapeIn(parts: ReadonlyArray<readonly [name: string, text: string]>): string | null {
  for (const [name, text] of parts) {
    try {
      decodeURIComponent(text);
    } catch {
      return name;
    }
  }
  return null;
}

/** The advice of a malformed %-escape; never the value (it may be a password). */
export const malformedEscapeProblem = (part: string) => `has a malformed %-escape in its ${part} (write a % as %25)`;

/**
 * Why a `postgresql://` URL cannot be used, or null when it can: a host and a database name are
 * required (the driver would otherwise fall back to its own defaults and a typo would go unnoticed),
 * and every part MikroORM decodes (user, password, host, database, `?schema=`) must decode.
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
  const malformed = malformedEscapeIn([
    ['user', url.username],
    ['password', url.password],
    ['host', url.hostname],
    ['database name', url.pathname],
    ['schema', url.searchParams.get('schema') ?? ''],
  ]);
  return malformed ? malformedEscapeProblem(malformed) : null;
}

/**
 * `sqlite:<path>` → a resolved file path (`sqlite::memory:` stays in memory); `postgresql://…` as is,
 * with its `?schema=` decoded as MikroORM decodes it (postgresUrlProblem has checked that it can be).
 */
export function parseDbUrl(dbUrl: string): DbTarget {
  if (isPostgresUrl(dbUrl)) {
    const schema = decodeURIComponent(new URL(dbUrl).searchParams.get('schema') ?? '');
    return { kind: 'postgresql', url: dbUrl, ...(schema ? { schema } : {}) };
  }
  const path = dbUrl.replace(/^sqlite:/, '');
  return { kind: 'sqlite', file: path === ':memory:' ? path : resolve(path) };
}
