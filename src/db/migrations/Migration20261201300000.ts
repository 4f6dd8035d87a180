import { OBJECT_COUNT_BLOCK } from '../object-count-block.js';
import { DialectMigration } from './dialect-migration.js';
import { COUNTS_UPDATED_BY_JOIN } from './Migration20261201100000.js';

const B = OBJECT_COUNT_BLOCK;

/**
 * PostgreSQL: the object counts' update trigger without its join. It fires once per UPDATE
 * statement on sync_objects, whatever the columns set (a trigger with transition tables takes no
 * column list): a run's listed marks and claims too. Joining the old and new transition tables on
 * id, which have no index or statistics, cost 36 of the 46 ms of marking 500 listed rows, and when
 * the planner chose a nested loop, 100 s for one UPDATE of 20,000 rows. Every updated row now adds
 * one to its new (job, status, block) and takes one from its old one, and the pairs that cancel
 * out are dropped: the same counts, in one aggregate pass.
 * SQLite's row trigger already fires only when the status changes.
 */
export class Migration20261201300000 extends DialectMigration {
  override async up(): Promise<void> {
    if (!this.dialect.isPostgres) return;
    this.addSql(`create or replace function object_counts_updated() returns trigger language plpgsql as $$
      begin
        insert into object_counts (job_id, status, id_block, n)
          select job_id, status, id_block, sum(d) from (
            select job_id, status, id / ${B} as id_block, 1 as d from new_rows
            union all
            select job_id, status, id / ${B} as id_block, -1 as d from old_rows
          ) changed group by job_id, status, id_block having sum(d) <> 0;
        return null;
      end $$;`);
  }

  /** Migration20261201100000's function. */
  override async down(): Promise<void> {
    if (this.dialect.isPostgres) this.addSql(`create or replace ${COUNTS_UPDATED_BY_JOIN}`);
  }
}
