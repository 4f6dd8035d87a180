import { describe, expect, it } from 'vitest';
import { withoutStatement } from '../../src/config/statement-text.js';
import { failureReason } from '../../src/sync/local/failure-reason.js';

const KNEX_MESSAGE =
  "insert into `webhook_deliveries` (`id`, `url`, `body`) values ('0f…', 'http://hooks.example.com/h?token=TOPSECRET', '{}') - SQLITE_CONSTRAINT_FOREIGNKEY: FOREIGN KEY constraint failed";

describe('database errors never show their statement', () => {
  it('keeps the driver\'s own message and says the statement is left out', () => {
    expect(withoutStatement(KNEX_MESSAGE)).toBe('SQLITE_CONSTRAINT_FOREIGNKEY: FOREIGN KEY constraint failed (statement not shown)');
    expect(withoutStatement('update "jobs" set "name" = $1 where "id" = $2 - deadlock detected')).toBe('deadlock detected (statement not shown)');
    expect(withoutStatement('select * from x')).toBe('database error (statement not shown)');
  });

  it('leaves other messages alone', () => {
    for (const message of ['connect ECONNREFUSED 127.0.0.1:5432', 'Selected key is gone - try again', 'the object changed at the source (412)']) {
      expect(withoutStatement(message)).toBe(message);
    }
  });

  it("a run's error (failureReason) of a database error has no statement either", () => {
    const error = Object.assign(new Error(KNEX_MESSAGE), { name: 'ForeignKeyConstraintViolationException', code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
    expect(failureReason(error)).toBe('ForeignKeyConstraintViolationException: SQLITE_CONSTRAINT_FOREIGNKEY: FOREIGN KEY constraint failed (statement not shown)');
  });
});
