import type { AnyEntity, ChangeSet, EventSubscriber, FlushEventArgs } from '@mikro-orm/core';
import type { Orm } from '../../src/db/orm.js';

/**
 * Runs `then` after each flush that wrote a row `matches` accepts (a change set of the unit of work):
 * the moment right after a request's first write is committed, for a test to cut the database there.
 */
export function afterFlushOf(orm: Orm, matches: (set: ChangeSet<AnyEntity>) => boolean, then: () => Promise<void>): void {
  const subscriber: EventSubscriber = {
    async afterFlush({ uow }: FlushEventArgs) {
      if (uow.getChangeSets().some(matches)) await then();
    },
  };
  orm.em.getEventManager().registerSubscriber(subscriber);
}
