import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed documents for the GraphQL tests: test/graphql/operations/*.graphql → test/generated/
 * (TypedDocumentNode objects such as `CreateJobDocument`, with result and variable types), and for
 * the dashboard: web/operations/*.graphql → web/generated/ (typed strings: the browser bundle needs
 * no graphql-js to send them).
 *
 * `npm run codegen` prints schema/schema.graphql from the Pothos schema (scripts/print-schema.ts),
 * then runs this config. `npm run schema:check` (part of `npm test`, so CI) regenerates nothing:
 * it fails when schema/schema.graphql differs from the printed schema, and `graphql-codegen --check`
 * fails when test/generated/ is not what this config would write. Both outputs are committed;
 * after changing the schema or an operation, run `npm run codegen` and commit.
 */
const config: CodegenConfig = {
  schema: 'schema/schema.graphql',
  ignoreNoDocuments: false,
  emitLegacyCommonJSImports: false,
  generates: {
    'test/generated/': {
      documents: ['test/graphql/operations/*.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'gql' },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        skipTypename: true,
        scalars: { DateTime: 'string', ID: 'string', ByteSize: 'number | string' },
        strictScalars: true,
      },
    },
    'web/generated/': {
      documents: ['web/operations/*.graphql'],
      preset: 'client',
      presetConfig: { fragmentMasking: false, gqlTagName: 'gql' },
      config: {
        documentMode: 'string',
        useTypeImports: true,
        enumsAsTypes: true,
        skipTypename: true,
        scalars: { DateTime: 'string', ID: 'string', ByteSize: 'number | string' },
        strictScalars: true,
      },
    },
  },
};

export default config;
