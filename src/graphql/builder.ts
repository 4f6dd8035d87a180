import SchemaBuilder from '@pothos/core';
import ComplexityPlugin from '@pothos/plugin-complexity';
import RelayPlugin from '@pothos/plugin-relay';
import type { GraphqlContext } from './context.js';

/**
 * The one SchemaBuilder. It defines no types: each domain lives in ./types/<domain>.ts and
 * schema.ts imports them. Complexity limits are enforced before execution by a validation rule
 * (plugins/use-query-limits.ts); the plugin here only carries the per-field costs.
 */
export const builder = new SchemaBuilder<{
  Context: GraphqlContext;
  Scalars: {
    DateTime: { Input: Date; Output: Date };
    ByteSize: { Input: number | string; Output: number | string };
    ID: { Input: string; Output: string | number };
  };
  Connection: { totalCount: number };
  DefaultFieldNullability: false;
  DefaultEdgesNullability: false;
  DefaultNodeNullability: false;
}>({
  defaultFieldNullability: false,
  plugins: [RelayPlugin, ComplexityPlugin],
  relay: {
    // Ids are the database's (Job.id is the REST job_id UUID), not opaque global ids.
    nodeQueryOptions: false,
    nodesQueryOptions: false,
    clientMutationId: 'omit',
    cursorType: 'String',
    edgesFieldOptions: { nullable: false, complexity: { field: 1, multiplier: 1 } },
    nodeFieldOptions: { nullable: false },
  },
  complexity: { defaultComplexity: 1, defaultListMultiplier: 10 },
});

builder.queryType({});
builder.mutationType({});
builder.subscriptionType({});
