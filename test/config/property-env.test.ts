import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadConfig } from '../../src/config/env.js';
import { hostileText } from '../helpers/hostile.js';

const VARIABLES = Object.keys(envSchema.shape);
const GOOD: Record<string, string[]> = {
  PORT: ['0', '5000'],
  S3_CHUNK_SIZE: ['8MiB', '10 * 1024 * 1024'],
  DB_URL: ['sqlite:./x.db'],
  API_TOKEN: ['0123456789abcdef0123'],
  CORS_ORIGINS: ['https://a.example, http://localhost:3000'],
  LOG_LEVEL: ['warn'],
};

/** An environment where each variable is absent, a good value, or hostile text; plus unrelated variables. */
const environment = fc
  .tuple(
    fc.dictionary(
      fc.constantFrom(...VARIABLES),
      fc.oneof(hostileText, fc.constantFrom('', ' ', '1', 'true', '100', '1.5', '-1')),
      { maxKeys: 5 },
    ),
    fc.dictionary(fc.constantFrom(...Object.keys(GOOD)), fc.constant(0), { maxKeys: 2 }),
  )
  .map(([bad, goodKeys]) => ({ ...bad, ...Object.fromEntries(Object.keys(goodKeys).map((k) => [k, GOOD[k]![0]!])) }));

describe('loadConfig on 5,000 generated environments', () => {
  it('returns a configuration or throws a ConfigError of one clear line per bad variable, never anything else', () => {
    fc.assert(
      fc.property(environment, (env) => {
        let error: unknown;
        try {
          loadConfig(env);
          return;
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(ConfigError);
        const lines = (error as Error).message.split('\n');
        for (const line of lines) {
          expect(line).toMatch(/^invalid [A-Za-z0-9_]+( \(got "[^]*"\))?: .+/);
          expect(line).not.toMatch(/^\s+at /);
        }
        const named = lines.map((line) => /^invalid ([A-Za-z0-9_]+)/.exec(line)![1]!);
        expect(named.every((name) => VARIABLES.includes(name))).toBe(true);
        const token = env.API_TOKEN;
        // The token's own line never shows it (other variables may happen to hold the same text).
        const tokenLines = lines.filter((line) => line.startsWith('invalid API_TOKEN'));
        if (token !== undefined && token.trim().length >= 8) for (const line of tokenLines) expect(line).not.toContain(token.trim());
      }),
      { numRuns: 5000 },
    );
  });
});
