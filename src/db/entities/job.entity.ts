import { EntitySchema, OptionalProps } from '@mikro-orm/core';
import type { ConnectorType, JobStatus } from './statuses.js';
import type { JobWebhook } from './webhook-statuses.js';

export class Job {
  [OptionalProps]?: 'status' | 'timezone' | 'prefix' | 'nextRunAt' | 'createdAt' | 'updatedAt' | 'webhooks';

  id!: string;
  name!: string;
  connectorType!: ConnectorType;
  bucketName!: string;
  prefix = '';
  /** A named interval (`hourly`) or a 5/6-field cron expression. */
  schedule!: string;
  /** IANA zone for cron schedules; null means UTC. */
  timezone: string | null = null;
  status: JobStatus = 'SCHEDULED';
  nextRunAt: Date | null = null;
  /** Where run outcomes are POSTed (see src/notify/). */
  webhooks: JobWebhook[] = [];
  createdAt: Date = new Date();
  updatedAt: Date = new Date();

  constructor(init: Pick<Job, 'id' | 'name' | 'connectorType' | 'bucketName' | 'schedule'> & Partial<Job>) {
    Object.assign(this, init);
  }
}

export const JobSchema = new EntitySchema<Job>({
  class: Job,
  tableName: 'jobs',
  properties: {
    id: { type: 'uuid', primary: true },
    name: { type: 'string', length: 64 },
    connectorType: { type: 'string', length: 16 },
    bucketName: { type: 'string', length: 255 },
    prefix: { type: 'text', default: '' },
    schedule: { type: 'string', length: 128 },
    timezone: { type: 'string', length: 64, nullable: true },
    status: { type: 'string', length: 16, index: true },
    nextRunAt: { type: 'datetime', nullable: true },
    webhooks: { type: 'json' },
    createdAt: { type: 'datetime' },
    updatedAt: { type: 'datetime', onUpdate: () => new Date() },
  },
});
