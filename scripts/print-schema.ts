// Writes schema/schema.graphql from the Pothos schema; with --check, fails (exit 1) when the file is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { schema } from '../src/graphql/schema.js';

const target = fileURLToPath(new URL('../schema/schema.graphql', import.meta.url));
const printed = `${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv.includes('--check')) {
  let committed: string | undefined;
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    committed = undefined;
  }
  if (committed !== printed) {
    console.error('schema/schema.graphql is stale: run `npm run codegen` and commit the result');
    process.exit(1);
  }
  console.log('schema/schema.graphql is current');
} else {
  writeFileSync(target, printed);
  console.log('wrote schema/schema.graphql');
}
