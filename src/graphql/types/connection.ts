import { builder } from '../builder.js';
import type { Page } from '../../services/pagination.js';
import type { GraphqlContext } from '../context.js';

/** The relay connection shape for a service's keyset page (the services do the paging). */
export function toConnection<T>(page: Page<T>) {
  return {
    totalCount: page.totalCount,
    edges: page.nodes.map((node, i) => ({ node, cursor: page.cursors[i] ?? '' })),
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: page.hasPreviousPage,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.cursors.at(-1) ?? null,
    },
  };
}

/** A connection's cost: its sub-selection is paid once per row it may return. */
export function connectionComplexity(args: { first?: number | null }, ctx: GraphqlContext) {
  // A variable declared with another type (`$f: String`) reaches here uncoerced: validation refuses it.
  const rows = typeof args.first === 'number' ? args.first : ctx.config.defaultPageSize;
  return { field: 1, multiplier: Math.max(1, Math.min(rows, 1000)) };
}

builder.globalConnectionField('totalCount', (t) =>
  t.int({ description: 'Rows matching the filter, across all pages', resolve: (parent) => parent.totalCount }),
);
