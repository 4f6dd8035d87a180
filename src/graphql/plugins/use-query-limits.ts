import { createComplexityRule } from '@pothos/plugin-complexity';
import { createGraphQLError, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import type { GraphqlDeps } from '../context.js';
import { badVariableField } from '../error-mapping.js';
import { maxDepthRule } from './max-depth-rule.js';

export interface QueryLimits {
  maxDepth: number;
  maxComplexity: number;
  maxBreadth: number;
}

/**
 * A connection costs its page size times its selection (see types/connection.ts), so the default
 * 25,000 admits a full 1,000-row page of jobs with every scalar field, and refuses nesting one
 * large connection inside another. The schema's own depth is at most 7 (jobs.edges.node.objects.edges.node.key).
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxComplexity: 25_000, maxBreadth: 300 };

/**
 * Refuses deep or costly operations during validation, before any resolver runs, on HTTP and
 * WebSocket alike. The complexity depends on variables (`first: $n`), which is why yoga.ts turns
 * off yoga's validation cache.
 */
export function useQueryLimits(deps: GraphqlDeps, limits: QueryLimits = DEFAULT_QUERY_LIMITS): Plugin {
  const depthRule = maxDepthRule(limits.maxDepth);
  return {
    onValidate({ addValidationRule, context }) {
      const { params } = context as Partial<YogaInitialContext>;
      addValidationRule(depthRule);
      addValidationRule(
        createComplexityRule({
          context: { ...context, ...deps },
          variableValues: params?.variables ?? {},
          operationName: params?.operationName,
          maxComplexity: limits.maxComplexity,
          maxBreadth: limits.maxBreadth,
          validate: (result, reportError) => {
            if (result.complexity > limits.maxComplexity || result.breadth > limits.maxBreadth) {
              reportError(
                createGraphQLError(
                  `Query is too costly: complexity ${result.complexity} (maximum ${limits.maxComplexity}), ` +
                    `breadth ${result.breadth} (maximum ${limits.maxBreadth}); ask for smaller pages or fewer fields`,
                  { extensions: { code: 'QUERY_TOO_COMPLEX', ...result, ...limits } },
                ),
              );
            }
          },
        }),
      );
      // The complexity rule coerces the variables, so a bad variable is found here, before execution.
      return ({ valid, result }) => {
        if (valid) return;
        for (const error of result) {
          const field = badVariableField(error);
          if (field !== null) Object.assign(error.extensions, { code: 'BAD_USER_INPUT', field });
        }
      };
    },
  };
}
