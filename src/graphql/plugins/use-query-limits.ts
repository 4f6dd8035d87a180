import { createComplexityRule } from '@pothos/plugin-complexity';
import { Kind, type ASTVisitor, type FragmentDefinitionNode, type GraphQLError, type OperationDefinitionNode, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';
import { createGraphQLError, type Plugin, type YogaInitialContext } from 'graphql-yoga';
import type { GraphqlDeps } from '../context.js';
import { badVariableField, isGraphQLError } from '../error-mapping.js';
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
 * Breadth counts every field the operation selects, introspection included: GraphiQL's own
 * introspection query (graphql-js's getIntrospectionQuery, every option on) selects about 230.
 */
export const DEFAULT_QUERY_LIMITS: QueryLimits = { maxDepth: 10, maxComplexity: 25_000, maxBreadth: 300 };

interface Measured {
  complexity: number;
  depth: number;
  breadth: number;
}

/**
 * Refuses deep, costly or broad operations during validation, before any resolver runs, on HTTP
 * and WebSocket alike. The complexity depends on variables (`first: $n`), which is why yoga.ts
 * turns off yoga's validation cache.
 */
export function useQueryLimits(deps: GraphqlDeps, limits: QueryLimits = DEFAULT_QUERY_LIMITS): Plugin {
  const depthRule = maxDepthRule(limits.maxDepth);
  return {
    onValidate({ addValidationRule, context }) {
      const { params } = context as Partial<YogaInitialContext>;
      // The complexity rule (Pothos) measures the operation's cost; it counts `__schema` and
      // `__type` as one field each and never looks inside them, so the limits rule below counts
      // the fields itself and reports both figures in one error. Validation visits the rules in
      // the order they are added: on leaving an operation the complexity rule hands over its
      // measure, then the limits rule (added after it) decides.
      let measured: Measured | undefined;
      addValidationRule(depthRule);
      addValidationRule(
        withoutThrownArgumentErrors(withoutUnknownFieldReports(createComplexityRule({
          context: { ...context, ...deps },
          variableValues: params?.variables ?? {},
          operationName: params?.operationName,
          maxComplexity: limits.maxComplexity,
          maxBreadth: limits.maxBreadth,
          validate: (result) => {
            measured = { complexity: result.complexity, depth: result.depth, breadth: result.breadth };
          },
        }))),
      );
      addValidationRule(
        limitsRule(limits, params?.operationName ?? undefined, {
          reset: () => (measured = undefined),
          measured: () => measured,
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

/**
 * The complexity rule reports a field the schema does not have (`Unknown field selected
 * (Query.nope)`, no location) beside graphql's own error for it (`Cannot query field "nope" on type
 * "Query"`, located): one error is enough, graphql's.
 */
function withoutUnknownFieldReports(rule: ValidationRule): ValidationRule {
  return (context) => {
    const reportError = (error: GraphQLError) => {
      if (!error.message.startsWith('Unknown field selected')) context.reportError(error);
    };
    return rule(Object.create(context, { reportError: { value: reportError } }) as ValidationContext);
  };
}

/**
 * The complexity rule reads each field's arguments with graphql's getArgumentValues, which throws on
 * a literal of the wrong type (`jobs(first: "x")`). Thrown out of a rule, that ends validation: the
 * client got graphql's bare message with no `extensions.code`, and none of the standard rules'
 * errors. Graphql's own rules (ValuesOfCorrectType, ProvidedRequiredArguments,
 * VariablesInAllowedPosition) report every such argument, so the throw is dropped here and the
 * operation still fails validation, with GRAPHQL_VALIDATION_FAILED like any other invalid literal.
 */
function withoutThrownArgumentErrors(rule: ValidationRule): ValidationRule {
  return (context) => {
    const visitor = rule(context) as ASTVisitor & { OperationDefinition?: { enter?: (...args: unknown[]) => unknown } };
    const operation = visitor.OperationDefinition;
    const enter = operation?.enter;
    if (!operation || !enter) return visitor;
    return {
      ...visitor,
      OperationDefinition: {
        ...operation,
        enter(...args: unknown[]) {
          try {
            return enter(...args);
          } catch (error) {
            if (isGraphQLError(error)) return undefined;
            throw error;
          }
        },
      },
    } as ASTVisitor;
  };
}

/**
 * Reports an operation over the complexity or breadth bound. Its breadth is the number of field
 * selections in it, each fragment counted wherever it is spread and introspection fields included
 * (`{__schema{t0:types{…} t1:types{…} …}}` is as broad as it looks), so a large response cannot
 * hide behind `__schema`. Operations not selected by `operationName` are not executed and not counted.
 */
function limitsRule(
  limits: QueryLimits,
  operationName: string | undefined,
  complexity: { reset(): void; measured(): Measured | undefined },
): ValidationRule {
  return (context) => {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const counter = fieldCounter(fragments);
    const selected = (node: OperationDefinitionNode) => operationName === undefined || node.name?.value === operationName;
    return {
      OperationDefinition: {
        enter() {
          complexity.reset();
        },
        leave(node) {
          if (!selected(node)) return;
          const fields = counter(node.selectionSet);
          // Without a measured cost the complexity rule has already refused the operation (or,
          // for an unnamed choice among several, execution will): only the breadth is known then.
          const measured = complexity.measured();
          const breadth = Math.max(fields, measured?.breadth ?? 0);
          if (measured === undefined) {
            if (breadth <= limits.maxBreadth) return;
            context.reportError(
              createGraphQLError(`Query is too costly: breadth ${breadth} (maximum ${limits.maxBreadth}); ask for fewer fields`, {
                nodes: [node],
                extensions: { code: 'QUERY_TOO_COMPLEX', breadth, ...limits },
              }),
            );
            return;
          }
          if (measured.complexity <= limits.maxComplexity && breadth <= limits.maxBreadth) return;
          const result = { ...measured, breadth };
          context.reportError(
            createGraphQLError(
              `Query is too costly: complexity ${result.complexity} (maximum ${limits.maxComplexity}), ` +
                `breadth ${result.breadth} (maximum ${limits.maxBreadth}); ask for smaller pages or fewer fields`,
              { extensions: { code: 'QUERY_TOO_COMPLEX', ...result, ...limits } },
            ),
          );
        },
      },
    };
  };
}

/**
 * Counts the field selections under a selection set, fragments expanded. A fragment's count is
 * worked out once and reused at every spread, so the count stays linear in the document's size
 * even when fragments spread each other many times over (the total may then be huge: it is only compared).
 * Unknown and cyclic fragments count nothing here; graphql's own rules report them.
 */
function fieldCounter(fragments: ReadonlyMap<string, FragmentDefinitionNode>) {
  const fragmentFields = new Map<string, number>();
  const count = (set: SelectionSetNode, visiting: ReadonlySet<string>): number => {
    let total = 0;
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        total += 1 + (selection.selectionSet ? count(selection.selectionSet, visiting) : 0);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        total += count(selection.selectionSet, visiting);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || visiting.has(name)) continue;
        if (!fragmentFields.has(name)) fragmentFields.set(name, count(fragment.selectionSet, new Set(visiting).add(name)));
        total += fragmentFields.get(name) ?? 0;
      }
    }
    return total;
  };
  return (set: SelectionSetNode) => count(set, new Set());
}
