import { Kind, type FragmentDefinitionNode, type SelectionSetNode, type ValidationRule } from 'graphql';
import { createGraphQLError } from 'graphql-yoga';

/**
 * Refuses operations nested deeper than `maxDepth` fields. Unlike the complexity plugin this also
 * counts introspection, whose types are cyclic (`__Type.fields → __Field.type → __Type…`); the
 * `ofType` chain is linear and free, so GraphiQL's own introspection query stays well inside the bound.
 */
export function maxDepthRule(maxDepth: number): ValidationRule {
  return function maxDepthValidationRule(context) {
    const fragments = new Map<string, FragmentDefinitionNode>();
    for (const definition of context.getDocument().definitions) {
      if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    }
    const fragmentDepth = new Map<string, number>();

    const depthOf = (set: SelectionSetNode, visiting: Set<string>): number => {
      let max = 0;
      for (const selection of set.selections) {
        if (selection.kind === Kind.FIELD) {
          const own = selection.name.value === 'ofType' ? 0 : 1;
          max = Math.max(max, own + (selection.selectionSet ? depthOf(selection.selectionSet, visiting) : 0));
        } else if (selection.kind === Kind.INLINE_FRAGMENT) {
          max = Math.max(max, depthOf(selection.selectionSet, visiting));
        } else {
          const name = selection.name.value;
          const fragment = fragments.get(name);
          if (!fragment || visiting.has(name)) continue; // unknown or cyclic: other rules report it
          if (!fragmentDepth.has(name)) {
            fragmentDepth.set(name, depthOf(fragment.selectionSet, new Set(visiting).add(name)));
          }
          max = Math.max(max, fragmentDepth.get(name) ?? 0);
        }
      }
      return max;
    };

    return {
      OperationDefinition(node) {
        const depth = depthOf(node.selectionSet, new Set());
        if (depth > maxDepth) {
          context.reportError(
            createGraphQLError(`Query is too deep: depth ${depth} exceeds the maximum of ${maxDepth}`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_DEEP', depth, maxDepth },
            }),
          );
        }
      },
    };
  };
}
