import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { proxyFor, type ProxySettings } from '../../src/config/outbound-proxy.js';

const PROXY = 'http://proxy.corp.example:3128';

function routeOf(noProxy: string, target: string): 'proxy' | 'direct' {
  const settings = loadConfig({ HTTPS_PROXY: PROXY, HTTP_PROXY: PROXY, NO_PROXY: noProxy }).proxy;
  const url = new URL(target);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const secure = url.protocol === 'https:';
  return proxyFor(settings, { secure, host, port: url.port ? Number(url.port) : secure ? 443 : 80 }) ? 'proxy' : 'direct';
}

describe('HTTPS_PROXY, HTTP_PROXY and NO_PROXY as curl and Go read them', () => {
  test('each scheme takes its own variable; the lower-case spelling wins; a bare host:port means http://', () => {
    expect(loadConfig({}).proxy).toEqual({ noProxy: [] });
    const config = loadConfig({ HTTPS_PROXY: 'upper.example:8080', https_proxy: 'lower.example:3128', HTTP_PROXY: PROXY, no_proxy: 'A.Example, b.example' });
    expect(config.proxy).toEqual({ https: 'http://lower.example:3128', http: PROXY, noProxy: ['a.example', 'b.example'] });
    expect(proxyFor(config.proxy, { secure: true, host: 's3.amazonaws.com', port: 443 })).toMatchObject({ host: 'lower.example', port: 3128 });
    expect(proxyFor({ http: PROXY, noProxy: [] }, { secure: true, host: 's3.amazonaws.com', port: 443 })).toBeNull();
    expect(proxyFor({ https: 'http://proxy.example', noProxy: [] }, { secure: true, host: 's3.amazonaws.com', port: 443 })).toMatchObject({ port: 80 });
  });

  test("the URL's user and password become Basic credentials, percent-decoded", () => {
    const settings: ProxySettings = { https: 'http://sync%20svc:p%40ss%3Aw@proxy.example:3128', noProxy: [] };
    const proxy = proxyFor(settings, { secure: true, host: 'bucket.s3.amazonaws.com', port: 443 });
    expect(proxy?.authorization).toBe(`Basic ${Buffer.from('sync svc:p@ss:w').toString('base64')}`);
    expect(proxyFor({ https: PROXY, noProxy: [] }, { secure: true, host: 'x.example', port: 443 })?.authorization).toBeUndefined();
  });

  test.each([
    ['', 'https://bucket.s3.eu-west-1.amazonaws.com', 'proxy'],
    ['*', 'https://bucket.s3.eu-west-1.amazonaws.com', 'direct'],
    ['amazonaws.com', 'https://bucket.s3.eu-west-1.amazonaws.com', 'direct'],
    ['.amazonaws.com', 'https://amazonaws.com', 'direct'],
    ['*.amazonaws.com', 'https://bucket.s3.amazonaws.com', 'direct'],
    ['zonaws.com', 'https://bucket.s3.amazonaws.com', 'proxy'],
    ['minio.internal:9000', 'http://minio.internal:9000', 'direct'],
    ['minio.internal:9000', 'http://minio.internal:9001', 'proxy'],
    ['minio.internal', 'http://minio.internal:9001', 'direct'],
    ['10.0.0.0/8', 'http://10.20.30.40:9000', 'direct'],
    ['10.0.0.0/8', 'http://11.0.0.1:9000', 'proxy'],
    ['192.168.1.5', 'http://192.168.1.5', 'direct'],
    ['fd00::/8', 'http://[fd12::5]:9000', 'direct'],
    ['[fd12::5]:9000', 'http://[fd12::5]:9000', 'direct'],
    ['[fd12::5]:9000', 'http://[fd12::5]:9001', 'proxy'],
    ['other.example, 10.0.0.0/8 minio.internal', 'http://minio.internal', 'direct'],
    // Loopback never goes through a proxy.
    ['', 'http://localhost:9000', 'direct'],
    ['', 'http://127.0.0.1:9000', 'direct'],
    ['', 'http://[::1]:9000', 'direct'],
  ])('NO_PROXY=%j: %s goes %s', (noProxy, target, route) => {
    expect(routeOf(noProxy, target)).toBe(route);
  });

  test.each([
    ['HTTPS_PROXY', 'socks5://user:hunter22@proxy.example:1080', /invalid HTTPS_PROXY \(got "socks5:\/\/user:\*\*\*@proxy\.example:1080"\): must be an http:\/\/ URL \(socks5:\/\/ proxies are not supported\)/],
    ['https_proxy', 'https://proxy.example', /invalid https_proxy .*https:\/\/ proxies are not supported/],
    ['HTTP_PROXY', 'http://proxy.example:3128/some/path', /invalid HTTP_PROXY .*must have no path/],
    ['HTTP_PROXY', 'http://', /invalid HTTP_PROXY .*must be an http:\/\/ URL/],
    ['HTTP_PROXY', 'http://user:hunter22%zz@proxy.example:3128', /invalid HTTP_PROXY .*malformed %-escape/],
    ['NO_PROXY', 'ok.example,bad host!', /invalid NO_PROXY .*"host!" is not a host name, domain, IP address or CIDR block/],
    ['NO_PROXY', '10.0.0.0/33', /invalid NO_PROXY .*"10\.0\.0\.0\/33"/],
  ])('%s=%j is refused with a line naming it, never echoing a password', (name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ [name]: value });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter22');
  });
});
