import { shouldRenderGraphiQL, type GraphiQLOptions, type Plugin } from 'graphql-yoga';
import type { Logger } from '../../config/logger.js';
import { matchesEntityTag, precompressedBody, preferredEncoding, type PrecompressedBody } from '../../http/precompressed-body.js';
import { renderGraphiqlPage } from '../graphiql.js';

interface ServedPage {
  body: PrecompressedBody;
  headers: Record<string, string>;
}

/**
 * GraphiQL's page for a browser's `GET /graphql` (yoga's own test: `Accept: text/html`). The page is
 * the same 9 MB every time, so it is rendered once, on the first such request, and each content
 * coding is compressed once (precompressed-body.ts); later requests send those bytes, or `304` to
 * a browser that names its ETag. It runs before the bearer check: the page holds no data.
 *
 * Its policy: it runs the query of its URL (`?query=`) with the service's origin, so no page may
 * frame it (clickjacking its run button), as the dashboard's CSP already says for `/`, and only its
 * own inline scripts run (graphiql.ts).
 */
export function useGraphiqlPage({ endpoint, options, logger }: { endpoint: string; options: GraphiQLOptions; logger: Logger }): Plugin {
  let served: Promise<ServedPage> | undefined;
  const load = async (): Promise<ServedPage> => {
    const page = await renderGraphiqlPage(options);
    logger.info({ bytes: page.html.length }, 'GraphiQL page rendered');
    const body = precompressedBody(page.html);
    const headers = {
      'content-type': 'text/html; charset=utf-8',
      etag: body.etag,
      vary: 'Accept-Encoding',
      // Revalidated on each visit (a new version may have been deployed): a 304 costs nothing. The
      // body is compressed here already: no-transform also keeps the compression middleware (and
      // proxies) from compressing it again per request, for a client that only takes deflate.
      'cache-control': 'no-cache, no-transform',
      'content-security-policy': page.contentSecurityPolicy,
      'x-frame-options': 'DENY',
    };
    return { body, headers };
  };

  return {
    async onRequest({ request, url, fetchAPI, endResponse }) {
      if (!shouldRenderGraphiQL(request) || url.pathname.replace(/\/$/, '') !== endpoint) return;
      served ??= load().catch((error: unknown) => {
        served = undefined;
        throw error;
      });
      const { body, headers } = await served;
      if (matchesEntityTag(request.headers.get('if-none-match'), body.etag)) {
        endResponse(new fetchAPI.Response(null, { status: 304, headers }));
        return;
      }
      const encoding = preferredEncoding(request.headers.get('accept-encoding'));
      const bytes = await body.encoded(encoding);
      const coding: Record<string, string> = encoding === 'identity' ? {} : { 'content-encoding': encoding };
      endResponse(new fetchAPI.Response(bytes, { status: 200, headers: { ...headers, ...coding, 'content-length': String(bytes.length) } }));
    },
  };
}
