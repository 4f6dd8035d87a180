import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
import { buildDashboard } from '../../scripts/build-dashboard.js';

/** Debian's chromium (CI installs it in .ci/run); the browser tests are skipped without it. */
export const CHROMIUM = '/usr/bin/chromium';
export const hasChromium = existsSync(CHROMIUM);
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const launchChromium = (): Promise<Browser> => chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });

export interface Watched {
  page: Page;
  /** Requests to anything but loopback (each was aborted). */
  offMachine: string[];
  consoleErrors: string[];
  /** Every request the page made, with its headers. */
  requests: Array<{ url: string; headers: Record<string, string> }>;
}

/** A page that can reach only loopback (everything else is aborted and recorded) and records its requests and console errors. */
export async function watchedPage(context: BrowserContext, viewport = { width: 1280, height: 900 }): Promise<Watched> {
  const page = await context.newPage();
  await page.setViewportSize(viewport);
  const watched: Watched = { page, offMachine: [], consoleErrors: [], requests: [] };
  await page.route('**/*', (route) => {
    const { protocol, hostname } = new URL(route.request().url());
    if (protocol === 'data:' || LOOPBACK.has(hostname)) return route.continue();
    watched.offMachine.push(route.request().url());
    return route.abort();
  });
  page.on('request', (r) => watched.requests.push({ url: r.url(), headers: r.headers() }));
  page.on('console', (message) => {
    if (message.type() === 'error') watched.consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => watched.consoleErrors.push(String(error)));
  return watched;
}

/** As the README tells a user: the token in GraphiQL's Headers tab, the schema re-fetched with it. */
export async function enterGraphiqlToken(page: Page, token: string): Promise<void> {
  await page.getByRole('button', { name: 'Headers' }).click();
  await page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden)').click();
  await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${token}` }));
  const introspected = page.waitForResponse((r) => r.request().method() === 'POST' && r.status() === 200);
  await page.getByRole('button', { name: /re-fetch/i }).click();
  await introspected;
}

/** A document of the apps' site (http://127.0.0.1, whatever the port), answered by the page's own route. */
const SITE_PAGE = 'http://127.0.0.1:1/';

/**
 * Builds the dashboard and starts Chromium with one browser context before the file's tests (closed
 * after them); call at the top of a test file. The tests open their pages in that context, where a
 * page of the apps' site stays open: each new page then reuses that site's renderer process instead
 * of starting one (a new context, or a site's last page closed, starts one afresh). The pages share
 * nothing a test looks at: each has its own sessionStorage (where the dashboard keeps the token),
 * localStorage and the HTTP cache are per origin (an app's port), and the service sets no cookie.
 */
export function useDashboardBrowser(): () => BrowserContext {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  beforeAll(async () => {
    await buildDashboard();
    if (!hasChromium) return;
    browser = await launchChromium();
    context = await browser.newContext();
    const sitePage = await context.newPage();
    await sitePage.route(SITE_PAGE, (route) => route.fulfill({ contentType: 'text/html', body: '' }));
    await sitePage.goto(SITE_PAGE);
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => context!;
}

/**
 * Every GraphQL WebSocket of `page` goes through this route, so a test can cut them all (`drop`:
 * the service seems unreachable, new sockets refused) and let them back (`restore`).
 */
export async function cuttableSockets(page: Page): Promise<{ drop(): Promise<void>; restore(): void }> {
  let refusing = false;
  const open: Array<{ close(): Promise<void> }> = [];
  await page.routeWebSocket(/\/graphql$/, (ws) => {
    if (refusing) return void ws.close({ code: 1011, reason: 'test: service unreachable' });
    const server = ws.connectToServer();
    open.push({ close: async () => void (await Promise.all([ws.close({ code: 1011 }), server.close()])) });
  });
  return {
    async drop() {
      refusing = true;
      await Promise.all(open.splice(0).map((socket) => socket.close()));
    },
    restore() {
      refusing = false;
    },
  };
}
