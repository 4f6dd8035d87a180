import type { Knex, SqlEntityManager } from '@mikro-orm/knex';
import type { Orm } from './orm.js';

/**
 * Runs `work` in a transaction on a fresh fork, committed when it resolves and rolled back when it
 * throws, like `em.transactional` but without MikroORM's AsyncLocalStorage contexts (the
 * transaction context, and the flush that `em.commit` runs): the first `AsyncLocalStorage.run`
 * switches on Node's promise hooks for the rest of the thread's life, a cost on every promise the
 * sync engine creates. `work` must use native queries on the `em` it is given (nothing to flush),
 * or raw knex queries on `transaction`.
 */
export async function inPlainTransaction<T>(orm: Orm, work: (em: SqlEntityManager, transaction: Knex.Transaction) => Promise<T>): Promise<T> {
  const em = orm.em.fork() as SqlEntityManager;
  const connection = em.getConnection('write');
  const transaction = await connection.begin();
  em.setTransactionContext(transaction);
  try {
    const result = await work(em, transaction);
    await connection.commit(transaction);
    return result;
  } catch (error) {
    await connection.rollback(transaction).catch(() => {});
    throw error;
  } finally {
    em.resetTransactionContext();
  }
}
