import { ConfigError } from '../config/env.js';
import type { SecretBox } from '../config/secret-box.js';
import { Job } from './entities/job.entity.js';
import type { Orm } from './orm.js';

/**
 * At start-up: every job's sealed credentials must open with SECRETS_KEY. A missing or different key
 * stops the process with one clear line, instead of runs failing later (or worse, running with the
 * process's own credentials).
 */
export async function checkStoredSecrets(orm: Orm, secrets: SecretBox): Promise<void> {
  const jobs = await orm.em
    .fork()
    .find(Job, { sealedCredentials: { $ne: null } }, { fields: ['id', 'sealedCredentials'] as never, orderBy: { createdAt: 'asc', id: 'asc' } });
  if (jobs.length === 0) return;
  const example = 'e.g. the value of SECRETS_KEY when the credentials were stored';
  if (!secrets.available) {
    throw new ConfigError(`invalid SECRETS_KEY: not set, but ${jobs.length} job(s) have stored credentials (first: job ${jobs[0]!.id}); ${example}`);
  }
  const unreadable = jobs.filter((job) => {
    try {
      secrets.open(job.sealedCredentials!, job.id);
      return false;
    } catch {
      return true;
    }
  });
  if (unreadable.length) {
    throw new ConfigError(
      `invalid SECRETS_KEY: it does not decrypt the stored credentials of ${unreadable.length} of ${jobs.length} job(s) (first: job ${unreadable[0]!.id}); ${example}`,
    );
  }
}
