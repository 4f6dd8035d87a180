import type { TestProject } from 'vitest/node';
import { findPostgresBin, findRedisServer, startThrowawayPostgres, startThrowawayRedis } from './throwaway-servers.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The throwaway server's superuser URL; each test app creates its own database on it. */
    postgresAdminUrl: string;
    /** A throwaway Redis shared by the suites that run several instances. */
    redisUrl: string;
  }
}

/**
 * Global setup of the PostgreSQL pass: one throwaway PostgreSQL and one Redis for the whole pass,
 * stopped (and their files removed) at the end. vitest.config.ts only adds this pass when the
 * binaries exist, so a missing binary here is a broken installation.
 */
export default async function setup(project: TestProject) {
  const postgresBin = findPostgresBin();
  const redisBin = findRedisServer();
  if (!postgresBin || !redisBin) throw new Error('PostgreSQL or redis-server binaries are missing');
  const postgres = await startThrowawayPostgres(postgresBin);
  const redis = await startThrowawayRedis(redisBin).catch(async (error: unknown) => {
    await postgres.stop();
    throw error;
  });
  project.provide('postgresAdminUrl', postgres.url);
  project.provide('redisUrl', redis.url);
  return async () => {
    await redis.stop();
    await postgres.stop();
  };
}
