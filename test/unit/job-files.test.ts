import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { jobFolder } from '../../src/sync/local/job-files.js';
import { keyBelongsToJob } from '../../src/sync/local/job-scope.js';

const ID = '3f0c2a9e-1b2c-4d5e-8f90-123456789abc';

describe('jobFolder', () => {
  it('is <root>/<job_id>', () => {
    expect(jobFolder('./downloads', ID)).toBe(join(resolve('./downloads'), ID));
  });

  it.each(['..', '../etc', `${ID}/..`, '', '.', '/etc', `${ID}/x`, 'not-a-uuid'])('refuses %j', (id) => {
    expect(() => jobFolder('/srv/downloads', id)).toThrow();
  });
});

describe('keyBelongsToJob', () => {
  it.each([
    ['', 'any/key', true],
    ['data/', 'data/a.csv', true],
    ['data/', 'data2/a.csv', false],
    ['data', 'data2/a.csv', true],
    ['Data/', 'data/a.csv', false],
    ['data/', 'data/', true],
  ])('prefix %j, key %j → %s', (prefix, key, expected) => {
    expect(keyBelongsToJob({ prefix }, key)).toBe(expected);
  });
});
