import { describe, expect, it } from 'vitest';
import { CONFLICT_ATTEMPTS, whileDatabaseDown } from '../../src/db/database-outage.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

/** A write that throws `errors` one after another, then answers 'written'; counts its attempts. */
function flakyWrite(...errors: Error[]) {
  const write = async () => {
    write.attempts++;
    const error = errors[write.attempts - 1];
    if (error) throw error;
    return 'written';
  };
  write.attempts = 0;
  return write;
}

describe('a run write rolled back by a lock conflict (PostgreSQL)', () => {
  it('goes again when chosen as a deadlock victim or failed for serialization, the code on the error or its cause', async () => {
    const deadlock = withCode('deadlock detected', '40P01');
    const write = flakyWrite(deadlock, new Error('DeadlockException', { cause: withCode('could not serialize access', '40001') }));
    expect(await whileDatabaseDown(write)).toBe('written');
    expect(write.attempts).toBe(3);
  });

  it('gives up after CONFLICT_ATTEMPTS attempts with the last error', async () => {
    const deadlock = withCode('deadlock detected', '40P01');
    const write = flakyWrite(...Array.from({ length: 10 }, () => deadlock));
    await expect(whileDatabaseDown(write)).rejects.toBe(deadlock);
    expect(write.attempts).toBe(CONFLICT_ATTEMPTS);
  });

  it('throws any other error at once', async () => {
    const unique = withCode('duplicate key value violates unique constraint', '23505');
    const write = flakyWrite(unique);
    await expect(whileDatabaseDown(write)).rejects.toBe(unique);
    expect(write.attempts).toBe(1);
  });
});

describe('a run write that found the SQLite database locked by another process past the busy timeout', () => {
  it('goes again until the lock is free, telling onWait once and onRecovered once', async () => {
    const locked = () => withCode('database is locked', 'SQLITE_BUSY');
    const write = flakyWrite(locked(), new Error('LockWaitTimeoutException', { cause: locked() }), withCode('database table is locked', 'SQLITE_LOCKED'));
    const told: string[] = [];
    const written = await whileDatabaseDown(write, { onWait: () => told.push('wait'), onRecovered: () => told.push('recovered') });
    expect({ written, attempts: write.attempts, told }).toEqual({ written: 'written', attempts: 4, told: ['wait', 'recovered'] });
  });

  it('throws another SQLite error at once', async () => {
    const constraint = withCode('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_UNIQUE');
    const write = flakyWrite(constraint);
    await expect(whileDatabaseDown(write)).rejects.toBe(constraint);
    expect(write.attempts).toBe(1);
  });
});
