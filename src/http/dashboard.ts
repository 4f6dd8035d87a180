import { readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Route, RouteResult } from './route.js';

/** Built by `npm run build` (scripts/build-dashboard.ts) into <repo>/dist/dashboard: beside the bundle's modules, two folders up from src/http. */
const DASHBOARD_FROM_HERE = import.meta.url.endsWith('.ts') ? '../../dist/dashboard/' : './dashboard/';
export const DASHBOARD_DIR = fileURLToPath(new URL(DASHBOARD_FROM_HERE, import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Asset names are `<name>-<content hash>.<ext>` (esbuild's entryNames): nothing else is served. */
const ASSET_NAME = /^[\w-]{1,100}\.(?:js|css)$/;

/** Same-origin only: scripts, styles and connections (HTTP and the graphql-ws socket) to this service. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const notBuilt: RouteResult = {
  status: 503,
  body: { message: 'The dashboard is not built: run `npm run build` (the API at /graphql works without it)' },
};

/**
 * The dashboard's page and assets. They hold no data (everything comes from /graphql), so they are
 * served without the API token (`auth: false`): exactly `/` and `/assets/<hashed name>`. Assets are
 * cached in memory once read; hashed names make them immutable. The page says whether the API wants
 * a token, so a first visit asks for it before any request is refused.
 */
export function dashboardRoutes({ tokenRequired, dir = DASHBOARD_DIR }: { tokenRequired: boolean; dir?: string }): Route[] {
  const cache = new Map<string, string>();
  const read = async (file: string): Promise<string | null> => {
    const cached = cache.get(file);
    if (cached !== undefined) return cached;
    const text = await readFile(join(dir, file), 'utf8').catch(() => null);
    if (text !== null && file !== 'index.html') cache.set(file, text);
    return text;
  };
  return [
    {
      method: 'GET',
      path: '/',
      auth: false,
      async handler() {
        const html = await read('index.html');
        if (html === null) return notBuilt;
        const body = html.replace('%API_TOKEN%', tokenRequired ? 'required' : 'none');
        return { status: 200, body, headers: { ...SECURITY_HEADERS, 'content-type': CONTENT_TYPES['.html']!, 'cache-control': 'no-cache' } };
      },
    },
    {
      method: 'GET',
      path: '/assets/:file',
      auth: false,
      async handler({ params }) {
        const file = params.file ?? '';
        const text = ASSET_NAME.test(file) ? await read(join('assets', file)) : null;
        if (text === null) return { status: 404, body: { message: 'Not found' } };
        return {
          status: 200,
          body: text,
          headers: { ...SECURITY_HEADERS, 'content-type': CONTENT_TYPES[extname(file)]!, 'cache-control': 'public, max-age=31536000, immutable' },
        };
      },
    },
  ];
}
