import { Migration20261126000000 } from './Migration20261126000000.js';
import { Migration20261129100000 } from './Migration20261129100000.js';
import { Migration20261129200000 } from './Migration20261129200000.js';
import { Migration20261129400000 } from './Migration20261129400000.js';
import { Migration20261129500000 } from './Migration20261129500000.js';
import { Migration20261129700000 } from './Migration20261129700000.js';
import { Migration20261129900000 } from './Migration20261129900000.js';
import { Migration20261130100000 } from './Migration20261130100000.js';
import { Migration20261130200000 } from './Migration20261130200000.js';
import { Migration20261201100000 } from './Migration20261201100000.js';

/** Released migrations, oldest first; their names are MIGRATION_NAMES (mikro-orm.config.ts), which a test keeps equal. */
export const MIGRATIONS = [
  { name: 'Migration20261126000000', class: Migration20261126000000 },
  { name: 'Migration20261129100000', class: Migration20261129100000 },
  { name: 'Migration20261129200000', class: Migration20261129200000 },
  { name: 'Migration20261129400000', class: Migration20261129400000 },
  { name: 'Migration20261129500000', class: Migration20261129500000 },
  { name: 'Migration20261129700000', class: Migration20261129700000 },
  { name: 'Migration20261129900000', class: Migration20261129900000 },
  { name: 'Migration20261130100000', class: Migration20261130100000 },
  { name: 'Migration20261130200000', class: Migration20261130200000 },
  { name: 'Migration20261201100000', class: Migration20261201100000 },
];
