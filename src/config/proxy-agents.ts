import { Agent as HttpAgent, type AgentOptions, type ClientRequest, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import { HttpProxyAgent } from 'http-proxy-agent';
import { HttpsProxyAgent } from 'https-proxy-agent';
import { proxyFor, proxyServerOf, type ProxySettings } from './outbound-proxy.js';

/** The hook `http.ClientRequest` hands each request to its agent by (what agent-base builds on). */
interface RequestTaking {
  addRequest(req: ClientRequest, options: RequestOptions): void;
}

export interface OutboundAgents {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
}

/**
 * Agents (pooling as `options` say) for `node:http(s)` requests (the SDK's, webhook deliveries) that follow the
 * proxy settings per request: through HTTPS_PROXY's CONNECT tunnel or HTTP_PROXY's absolute-form
 * requests (https-proxy-agent, http-proxy-agent), or directly for NO_PROXY's and loopback hosts.
 * Each route keeps its own pool.
 */
export function createOutboundAgents(options: AgentOptions & Pick<HttpsAgentOptions, 'ca'>, proxy: ProxySettings | undefined): OutboundAgents {
  const httpAgent = new HttpAgent(options);
  const httpsAgent = new HttpsAgent(options);
  // https-proxy-agent verifies the server at the tunnel's end with the request's options only.
  const serverTls = options.ca ? { ca: options.ca } : {};
  return {
    httpAgent: proxy?.http ? routed(new HttpAgent(), false, httpAgent, new HttpProxyAgent(...proxyAgentArgs(proxy.http, options)), proxy, {}) : httpAgent,
    httpsAgent: proxy?.https ? routed(new HttpsAgent(), true, httpsAgent, new HttpsProxyAgent(...proxyAgentArgs(proxy.https, options)), proxy, serverTls) : httpsAgent,
  };
}

/**
 * The proxy's URL without its credentials, which travel as a header instead: the agents print
 * their URL in their debug output (DEBUG=https-proxy-agent).
 */
function proxyAgentArgs(configured: string, options: AgentOptions): [string, AgentOptions & { headers: Record<string, string> }] {
  const { origin, authorization } = proxyServerOf(configured);
  return [origin, { ...options, headers: authorization ? { 'Proxy-Authorization': authorization } : {} }];
}

/**
 * `router` (an agent of the right protocol, which `http.request` checks) passes each request on
 * to `direct` or `viaProxy`; it holds no socket of its own.
 */
function routed<A extends HttpAgent>(router: A, secure: boolean, direct: A, viaProxy: HttpAgent, settings: ProxySettings, serverTls: object): A {
  (router as unknown as RequestTaking).addRequest = (req, options) => {
    const target = { secure, host: String(options.host ?? 'localhost'), port: Number(options.port) || (secure ? 443 : 80) };
    if (proxyFor(settings, target)) (viaProxy as unknown as RequestTaking).addRequest(req, { ...options, ...serverTls });
    else (direct as unknown as RequestTaking).addRequest(req, options);
  };
  router.destroy = () => {
    direct.destroy();
    viaProxy.destroy();
  };
  return router;
}
