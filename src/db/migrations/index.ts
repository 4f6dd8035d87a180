import { MIGRATION_NAMES } from '../mikro-orm.config.js';
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
import { Migration20261201200000 } from './Migration20261201200000.js';
import { Migration20261201300000 } from './Migration20261201300000.js';
import { Migration20261201400000 } from './Migration20261201400000.js';
import { Migration20261202100000 } from './Migration20261202100000.js';
import { Migration20261202200000 } from './Migration20261202200000.js';
import { Migration20261203100000 } from './Migration20261203100000.js';
import { Migration20261204100000 } from './Migration20261204100000.js';
import { Migration20261204200000 } from './Migration20261204200000.js';

/** The classes, in the order of MIGRATION_NAMES (mikro-orm.config.ts); a test checks each class is the one named there. */
const CLASSES = [
  Migration20261126000000,
  Migration20261129100000,
  Migration20261129200000,
  Migration20261129400000,
  Migration20261129500000,
  Migration20261129700000,
  Migration20261129900000,
  Migration20261130100000,
  Migration20261130200000,
  Migration20261201100000,
  Migration20261201200000,
  Migration20261201300000,
  Migration20261201400000,
  Migration20261202100000,
  Migration20261202200000,
  Migration20261203100000,
  Migration20261204100000,
  Migration20261204200000,
];

/** Released migrations, oldest first, as the migrator takes them. */
export const MIGRATIONS = CLASSES.map((migration, index) => ({ name: MIGRATION_NAMES[index]!, class: migration }));
