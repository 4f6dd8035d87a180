import { ConfigError } from '../config/env.js';
import type { SecretBox } from '../config/secret-box.js';
import { Job, sseCustomerKeyContext } from './entities/job.entity.js';
import type { Orm } from './orm.js';

/**
 * At start-up: every job's sealed secrets (credentials, SSE-C key) must open with SECRETS_KEY. A
 * missing or different key stops the process with one clear line, instead of runs failing later (or
 * worse, running with the process's own credentials).
 */
export async function checkStoredSecrets(orm: Orm, secrets: SecretBox): Promise<void> {
  const jobs = await orm.em.fork().find(
    Job,
    { $or: [{ sealedCredentials: { $ne: null } }, { sealedSseCustomerKey: { $ne: null } }] },
    { fields: ['id', 'sealedCredentials', 'sealedSseCustomerKey'] as never, orderBy: { createdAt: 'asc', id: 'asc' } },
  );
  if (jobs.length === 0) return;
  const example = 'e.g. the value of SECRETS_KEY when the secrets were stored';
  if (!secrets.available) {
    throw new ConfigError(`invalid SECRETS_KEY: not set, but ${jobs.length} job(s) have stored secrets (credentials, SSE-C keys) (first: job ${jobs[0]!.id}); ${example}`);
  }
  const opens = (sealed: string | null, context: string) => {
    if (sealed === null) return true;
    try {
      secrets.open(sealed, context);
      return true;
    } catch {
      return false;
    }
  };
  const unreadable = jobs.filter((job) => !opens(job.sealedCredentials, job.id) || !opens(job.sealedSseCustomerKey, sseCustomerKeyContext(job.id)));
  if (unreadable.length) {
    throw new ConfigError(
      `invalid SECRETS_KEY: it does not decrypt the stored secrets (credentials, SSE-C keys) of ${unreadable.length} of ${jobs.length} job(s) (first: job ${unreadable[0]!.id}); ${example}`,
    );
  }
}
