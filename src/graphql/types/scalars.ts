import { createGraphQLError } from 'graphql-yoga';
import { builder } from '../builder.js';

/** ISO 8601 instants, always serialised in UTC (`2026-11-24T10:00:00.000Z`). */
export const DateTime = builder.scalarType('DateTime', {
  description: 'An ISO 8601 date-time, serialised in UTC, e.g. 2026-11-24T10:00:00.000Z',
  serialize: (value) => value.toISOString(),
  parseValue: (value) => {
    const date = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
    if (Number.isNaN(date.getTime())) {
      throw createGraphQLError('DateTime must be an ISO 8601 string, e.g. 2026-11-24T10:00:00Z', {
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    return date;
  },
});
