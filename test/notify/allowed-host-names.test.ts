import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/env.js';
import { webhookUrlProblem } from '../../src/notify/webhook-url.js';

/** WEBHOOK_ALLOWED_HOSTS entries are read as a URL's host is: every host a webhook URL may name can be allowed. */
describe('WEBHOOK_ALLOWED_HOSTS accepts every host a webhook URL may name', () => {
  it.each([
    ['relay_svc', 'http://relay_svc:8080/hook'], // a Compose service name
    ['bücher.example', 'https://bücher.example/hook'], // an IDN, which a URL writes as xn--bcher-kva.example
    ['*.bücher.example', 'https://hooks.bücher.example/hook'],
    ['HOOKS.Example.com', 'https://hooks.example.com/x'],
  ])('%s', (entry, url) => {
    expect(webhookUrlProblem(url, null)).toBeNull();
    const { allowedHosts } = loadConfig({ WEBHOOK_ALLOWED_HOSTS: entry }).webhooks;
    expect(webhookUrlProblem(url, allowedHosts)).toBeNull();
    expect(webhookUrlProblem('https://elsewhere.example/hook', allowedHosts)).not.toBeNull();
  });

  it.each(['hooks.example.com:8443', 'hooks.example.com:80', 'hooks.example.com:0080', 'hooks.example.com/path', 'user@hooks.example.com', 'a b', '*', '*.', '*.*.example.com', 'hooks.example.com:'])('refuses %j: not a host alone', (entry) => {
    expect(() => loadConfig({ WEBHOOK_ALLOWED_HOSTS: entry })).toThrow(ConfigError);
  });
});
