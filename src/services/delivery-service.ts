import { WebhookAttempt } from '../db/entities/webhook-attempt.entity.js';
import { WebhookDelivery } from '../db/entities/webhook-delivery.entity.js';
import type { Orm } from '../db/orm.js';
import { requireJob } from './job-lookup.js';
import type { OffsetPage } from './object-service.js';
import { decodeCursor, encodeCursor, pageOffset, pageSize, toPage, type Page, type PageArgs } from './pagination.js';

export interface DeliveryServiceDeps {
  orm: Orm;
  defaultPageSize: number;
}

/** A delivery with its attempts, oldest attempt first. */
export interface DeliveryView {
  delivery: WebhookDelivery;
  attempts: WebhookAttempt[];
}

const deliveryCursor = (delivery: WebhookDelivery) => encodeCursor('webhookDeliveries', [delivery.createdAt.getTime(), delivery.id]);
const NEWEST_FIRST = { createdAt: 'desc', id: 'desc' } as const;

/** A job's webhook deliveries, newest first, each with every attempt made. */
export function createDeliveryService({ orm, defaultPageSize }: DeliveryServiceDeps) {
  async function withAttempts(deliveries: WebhookDelivery[]): Promise<DeliveryView[]> {
    if (!deliveries.length) return [];
    const attempts = await orm.em
      .fork()
      .find(WebhookAttempt, { deliveryId: { $in: deliveries.map((d) => d.id) } }, { orderBy: { attempt: 'asc', id: 'asc' } });
    return deliveries.map((delivery) => ({ delivery, attempts: attempts.filter((a) => a.deliveryId === delivery.id) }));
  }

  return {
    async list(rawJobId: unknown, args: PageArgs = {}, field = 'jobId'): Promise<Page<DeliveryView>> {
      const jobId = (await requireJob(orm, rawJobId, field)).id;
      const size = pageSize(args.first, defaultPageSize);
      let where: object = { jobId };
      if (args.after) {
        const [at, id] = decodeCursor(args.after, 'webhookDeliveries', ['timestamp', 'string'] as const);
        where = { jobId, $or: [{ createdAt: { $lt: at } }, { createdAt: at, id: { $lt: id } }] };
      }
      const em = orm.em.fork();
      const [rows, totalCount] = await Promise.all([
        em.find(WebhookDelivery, where, { orderBy: NEWEST_FIRST, limit: size + 1 }),
        em.count(WebhookDelivery, { jobId }),
      ]);
      const page = toPage(rows, size, totalCount, args.after, deliveryCursor);
      return { ...page, nodes: await withAttempts(page.nodes) };
    },

    async listByOffset(rawJobId: unknown, limit: number | undefined, offset: number | undefined): Promise<OffsetPage<DeliveryView>> {
      const jobId = (await requireJob(orm, rawJobId, 'job_id')).id;
      const size = pageSize(limit ?? null, defaultPageSize, 'limit');
      const skip = pageOffset(offset);
      const em = orm.em.fork();
      const [rows, totalCount] = await Promise.all([
        em.find(WebhookDelivery, { jobId }, { orderBy: NEWEST_FIRST, limit: size, offset: skip }),
        em.count(WebhookDelivery, { jobId }),
      ]);
      return { totalCount, limit: size, offset: skip, nodes: await withAttempts(rows) };
    },
  };
}

export type DeliveryService = ReturnType<typeof createDeliveryService>;
