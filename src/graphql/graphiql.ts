import { createHash } from 'node:crypto';
import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * A browser cannot put headers on a WebSocket, and GraphiQL sends an empty `connection_init`. This
 * page script remembers the `Authorization` header GraphiQL last sent over HTTP (the Headers tab;
 * GraphiQL re-fetches the schema with it) and adds it to `connection_init` as
 * `connectionParams.authorization`, so subscriptions work in GraphiQL when API_TOKEN is set.
 * The token only ever comes from the user's own Headers tab; the page itself holds no secret.
 */
const FORWARD_AUTHORIZATION = `(() => {
  let authorization = null;
  const nativeFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    try {
      const url = new URL(input instanceof Request ? input.url : String(input), location.href);
      if (url.origin === location.origin && url.pathname === location.pathname) {
        const headers = new Headers(init && init.headers ? init.headers : input instanceof Request ? input.headers : undefined);
        authorization = headers.get('authorization');
      }
    } catch (_) {}
    return nativeFetch(input, init);
  };
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (authorization && typeof data === 'string' && data.includes('"connection_init"')) {
      try {
        const message = JSON.parse(data);
        if (message.type === 'connection_init') {
          message.payload = Object.assign({}, message.payload, { authorization });
          data = JSON.stringify(message);
        }
      } catch (_) {}
    }
    return send.call(this, data);
  };
})();`;

export interface GraphiqlPage {
  html: Buffer<ArrayBuffer>;
  /** Lets the page's own inline scripts run, by their SHA-256. */
  contentSecurityPolicy: string;
}

/**
 * @graphql-yoga/render-graphiql's page (every asset inline, no CDN) plus the script above. The module
 * holds GraphiQL's whole bundle as source (importing it costs ~32 MB of heap and ~36 MB of RSS,
 * measured), so it is loaded on the first GraphiQL request, not by every service no browser visits.
 */
export async function renderGraphiqlPage(options: GraphiQLOptions): Promise<GraphiqlPage> {
  const { renderGraphiQL } = await import('@graphql-yoga/render-graphiql');
  const page = renderGraphiQL(options).replace('<head>', () => `<head><script>${FORWARD_AUTHORIZATION}</script>`);
  return { html: Buffer.from(page), contentSecurityPolicy: contentSecurityPolicyFor(page) };
}

/**
 * Only the page's own inline scripts run (by their SHA-256), everything else comes from this origin,
 * and no page may frame it: GraphiQL runs what its URL holds with the service's origin.
 */
function contentSecurityPolicyFor(page: string): string {
  const scripts = [...page.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
    ([, body]) => `'sha256-${createHash('sha256').update(body ?? '').digest('base64')}'`,
  );
  return [
    "default-src 'self'",
    `script-src 'self' ${scripts.join(' ')}`,
    // GraphiQL's editor and panes set style attributes.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
