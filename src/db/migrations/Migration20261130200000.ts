import { DialectMigration } from './dialect-migration.js';

/**
 * Object counts per job and status, kept by triggers in the same transaction as the rows whatever
 * writes them (inserts, the engine's batched native updates, job deletes by cascade), so an
 * objects page reads its `totalCount` without a `count(*)` over a job's million rows.
 *
 * SQLite has one writer: each row change adds to or takes from one counter row (job, status).
 * PostgreSQL has several writers (instances sharing a run): counter rows updated in place would
 * be hot rows locked in any order (deadlocks between batches), so each statement appends one
 * delta row per (job, status) it changed, and readers sum them (object-counts.ts folds them).
 */
export class Migration20261130200000 extends DialectMigration {
  override async up(): Promise<void> {
    if (this.dialect.isPostgres) return this.upPostgres();
    this.addSql('create table object_counts (job_id text not null, status varchar(16) not null, n integer not null, primary key (job_id, status));');
    this.addSql(`create trigger sync_objects_count_insert after insert on sync_objects begin
      insert into object_counts (job_id, status, n) values (new.job_id, new.status, 1)
        on conflict (job_id, status) do update set n = n + 1;
    end;`);
    this.addSql(`create trigger sync_objects_count_update after update of status on sync_objects when old.status <> new.status begin
      update object_counts set n = n - 1 where job_id = old.job_id and status = old.status;
      insert into object_counts (job_id, status, n) values (new.job_id, new.status, 1)
        on conflict (job_id, status) do update set n = n + 1;
    end;`);
    // A job's delete cascades to its rows: whichever trigger runs first, its counters end up gone.
    this.addSql(`create trigger sync_objects_count_delete after delete on sync_objects begin
      update object_counts set n = n - 1 where job_id = old.job_id and status = old.status;
    end;`);
    this.addSql(`create trigger jobs_count_delete after delete on jobs begin
      delete from object_counts where job_id = old.id;
    end;`);
    this.addSql('insert into object_counts (job_id, status, n) select job_id, status, count(*) from sync_objects group by job_id, status;');
  }

  private upPostgres(): void {
    this.addSql('create table object_counts (id bigserial primary key, job_id text not null, status varchar(16) not null, n bigint not null);');
    this.addSql('create index object_counts_job_id_status_index on object_counts (job_id, status);');
    this.addSql(`create function object_counts_inserted() returns trigger language plpgsql as $$
      begin
        insert into object_counts (job_id, status, n) select job_id, status, count(*) from new_rows group by job_id, status;
        return null;
      end $$;`);
    this.addSql(`create function object_counts_updated() returns trigger language plpgsql as $$
      begin
        insert into object_counts (job_id, status, n)
          select job_id, status, sum(d) from (
            select n.job_id, n.status, 1 as d from new_rows n join old_rows o on o.id = n.id where o.status <> n.status
            union all
            select o.job_id, o.status, -1 as d from new_rows n join old_rows o on o.id = n.id where o.status <> n.status
          ) changed group by job_id, status having sum(d) <> 0;
        return null;
      end $$;`);
    // Rows deleted with their job (cascade) leave no delta behind: the job's counters go with it.
    this.addSql(`create function object_counts_deleted() returns trigger language plpgsql as $$
      begin
        insert into object_counts (job_id, status, n)
          select o.job_id, o.status, -count(*) from old_rows o where exists (select 1 from jobs j where j.id = o.job_id)
          group by o.job_id, o.status;
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
    this.addSql('insert into object_counts (job_id, status, n) select job_id, status, count(*) from sync_objects group by job_id, status;');
  }

  override async down(): Promise<void> {
    const on = (table: string) => (this.dialect.isPostgres ? ` on ${table}` : '');
    this.addSql(`drop trigger if exists jobs_count_delete${on('jobs')};`);
    for (const name of ['sync_objects_count_delete', 'sync_objects_count_update', 'sync_objects_count_insert']) {
      this.addSql(`drop trigger if exists ${name}${on('sync_objects')};`);
    }
    if (this.dialect.isPostgres) {
      for (const name of ['object_counts_job_deleted', 'object_counts_deleted', 'object_counts_updated', 'object_counts_inserted']) {
        this.addSql(`drop function if exists ${name}();`);
      }
    }
    this.addSql('drop table if exists object_counts;');
  }
}
