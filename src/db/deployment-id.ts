import type { Orm } from './orm.js';

/**
 * The id of the deployment this database belongs to: every instance and `npm run sync` on it read
 * the same one, and another database (or `?schema=`) has its own. Redis channels are named by it,
 * so deployments sharing a Redis server never receive each other's events.
 */
export async function readDeploymentId(orm: Orm): Promise<string> {
  const [row] = await orm.em.getConnection().execute<Array<{ id: string }>>('select id from deployment');
  if (!row) throw new Error('the deployment table is empty: insert a row with a new random id (e.g. a UUID)');
  return row.id;
}
