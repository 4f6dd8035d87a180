import { OBJECT_COUNT_BLOCK } from '../object-count-block.js';
import { DialectMigration } from './dialect-migration.js';
import { Migration20261130200000 } from './Migration20261130200000.js';

const B = OBJECT_COUNT_BLOCK;
const STATEMENT_FUNCTIONS = ['object_counts_job_deleted', 'object_counts_deleted', 'object_counts_updated', 'object_counts_inserted'];

/** PostgreSQL: the update trigger's function, after `create ` (Migration20261201300000's down() restores it). */
export const COUNTS_UPDATED_BY_JOIN = `function object_counts_updated() returns trigger language plpgsql as $$
      begin
        insert into object_counts (job_id, status, id_block, n)
          select job_id, status, id_block, sum(d) from (
            select n.job_id, n.status, n.id / ${B} as id_block, 1 as d from new_rows n join old_rows o on o.id = n.id where o.status <> n.status
            union all
            select o.job_id, o.status, o.id / ${B} as id_block, -1 as d from new_rows n join old_rows o on o.id = n.id where o.status <> n.status
          ) changed group by job_id, status, id_block having sum(d) <> 0;
        return null;
      end $$;`;

/**
 * The object counts of Migration20261130200000 kept per (job, status, id block) rather than per
 * (job, status), with the same trigger design: an offset page finds the block holding its offset
 * from the counts and walks the index only within it. Totals are the sums over the blocks.
 */
export class Migration20261201100000 extends DialectMigration {
  override async up(): Promise<void> {
    this.dropCounts();
    if (this.dialect.isPostgres) return this.upPostgres();
    this.addSql(
      'create table object_counts (job_id text not null, status varchar(16) not null, id_block integer not null, n integer not null, primary key (job_id, status, id_block));',
    );
    this.addSql(`create trigger sync_objects_count_insert after insert on sync_objects begin
      insert into object_counts (job_id, status, id_block, n) values (new.job_id, new.status, new.id / ${B}, 1)
        on conflict (job_id, status, id_block) do update set n = n + 1;
    end;`);
    this.addSql(`create trigger sync_objects_count_update after update of status on sync_objects when old.status <> new.status begin
      update object_counts set n = n - 1 where job_id = old.job_id and status = old.status and id_block = old.id / ${B};
      insert into object_counts (job_id, status, id_block, n) values (new.job_id, new.status, new.id / ${B}, 1)
        on conflict (job_id, status, id_block) do update set n = n + 1;
    end;`);
    // A job's delete cascades to its rows: whichever trigger runs first, its counters end up gone.
    this.addSql(`create trigger sync_objects_count_delete after delete on sync_objects begin
      update object_counts set n = n - 1 where job_id = old.job_id and status = old.status and id_block = old.id / ${B};
    end;`);
    this.addSql(`create trigger jobs_count_delete after delete on jobs begin
      delete from object_counts where job_id = old.id;
    end;`);
    this.addSql(
      `insert into object_counts (job_id, status, id_block, n) select job_id, status, id / ${B}, count(*) from sync_objects group by job_id, status, id / ${B};`,
    );
  }

  private upPostgres(): void {
    this.addSql('create table object_counts (id bigserial primary key, job_id text not null, status varchar(16) not null, id_block bigint not null, n bigint not null);');
    this.addSql('create index object_counts_job_id_status_id_block_index on object_counts (job_id, status, id_block);');
    this.addSql(`create function object_counts_inserted() returns trigger language plpgsql as $$
      begin
        insert into object_counts (job_id, status, id_block, n)
          select job_id, status, id / ${B}, count(*) from new_rows group by job_id, status, id / ${B};
        return null;
      end $$;`);
    this.addSql(`create ${COUNTS_UPDATED_BY_JOIN}`);
    // Rows deleted with their job (cascade) leave no delta behind: the job's counters go with it.
    this.addSql(`create function object_counts_deleted() returns trigger language plpgsql as $$
      begin
        insert into object_counts (job_id, status, id_block, n)
          select o.job_id, o.status, o.id / ${B}, -count(*) from old_rows o where exists (select 1 from jobs j where j.id = o.job_id)
          group by o.job_id, o.status, o.id / ${B};
        return null;
      end $$;`);
    this.addSql(`create function object_counts_job_deleted() returns trigger language plpgsql as $$
      begin
        delete from object_counts where job_id in (select id from old_rows);
        return null;
      end $$;`);
    this.addSql(`create trigger sync_objects_count_insert after insert on sync_objects
      referencing new table as new_rows for each statement execute function object_counts_inserted();`);
    this.addSql(`create trigger sync_objects_count_update after update on sync_objects
      referencing old table as old_rows new table as new_rows for each statement execute function object_counts_updated();`);
    this.addSql(`create trigger sync_objects_count_delete after delete on sync_objects
      referencing old table as old_rows for each statement execute function object_counts_deleted();`);
    this.addSql(`create trigger jobs_count_delete after delete on jobs
      referencing old table as old_rows for each statement execute function object_counts_job_deleted();`);
    this.addSql(
      `insert into object_counts (job_id, status, id_block, n) select job_id, status, id / ${B}, count(*) from sync_objects group by job_id, status, id / ${B};`,
    );
  }

  /** Back to counts per (job, status): the previous migration's schema, back-filled the same way. */
  override async down(): Promise<void> {
    this.dropCounts();
    const previous = new Migration20261130200000(this.driver, this.config);
    await previous.up();
    for (const query of previous.getQueries()) this.addSql(query);
  }

  private dropCounts(): void {
    const on = (table: string) => (this.dialect.isPostgres ? ` on ${table}` : '');
    this.addSql(`drop trigger if exists jobs_count_delete${on('jobs')};`);
    for (const name of ['sync_objects_count_delete', 'sync_objects_count_update', 'sync_objects_count_insert']) {
      this.addSql(`drop trigger if exists ${name}${on('sync_objects')};`);
    }
    if (this.dialect.isPostgres) for (const name of STATEMENT_FUNCTIONS) this.addSql(`drop function if exists ${name}();`);
    this.addSql('drop table if exists object_counts;');
  }
}
