import { createCheckpointsTable, schemaOf, type MigrationInterface, type QueryRunner } from '@autocoder/projections';

const tokenColumns = `
        calls               integer NOT NULL,
        unknown_model_calls integer NOT NULL,
        input               bigint NOT NULL,
        output              bigint NOT NULL,
        cache_write_5m      bigint NOT NULL,
        cache_write_1h      bigint NOT NULL,
        cache_read          bigint NOT NULL,
        cost_pico           numeric(40, 0) NOT NULL`;

/**
 * The usage read models: the ledger (one line per priced call), the rollups (per session, run,
 * feature, task, model, project, UTC day and hour), calls that could not be priced, and the projects'
 * features (for estimates). Money is whole picodollars in numeric columns: sums are exact.
 */
export class CreateUsageReadModels1765000000000 implements MigrationInterface {
  name = 'CreateUsageReadModels1765000000000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await createCheckpointsTable(runner, s);
    await runner.query(`
      CREATE TABLE ${s}.ledger_lines (
        call_id        uuid PRIMARY KEY,
        called_at      timestamptz NOT NULL,
        project_id     uuid NOT NULL,
        run_id         uuid NOT NULL,
        session_id     uuid NOT NULL,
        feature_id     text,
        task_id        uuid,
        turn           integer NOT NULL,
        model          text NOT NULL,
        match          text NOT NULL,
        unknown_model  boolean NOT NULL,
        long_context   boolean NOT NULL,
        price_version  integer NOT NULL,
        input          bigint NOT NULL,
        output         bigint NOT NULL,
        cache_write_5m bigint NOT NULL,
        cache_write_1h bigint NOT NULL,
        cache_read     bigint NOT NULL,
        cost_pico      numeric(40, 0) NOT NULL,
        position       bigint NOT NULL
      )`);
    await runner.query(`CREATE INDEX ledger_lines_project ON ${s}.ledger_lines (project_id, called_at)`);
    await runner.query(`CREATE INDEX ledger_lines_version ON ${s}.ledger_lines (price_version)`);
    await runner.query(`
      CREATE TABLE ${s}.rollups (
        dimension  text NOT NULL,
        key        text NOT NULL,
        project_id uuid,
        label      text,${tokenColumns},
        PRIMARY KEY (dimension, key)
      )`);
    await runner.query(`CREATE INDEX rollups_project ON ${s}.rollups (project_id, dimension)`);
    await runner.query(`
      CREATE TABLE ${s}.unpriced_calls (
        call_id     uuid PRIMARY KEY,
        project_id  uuid NOT NULL,
        session_id  uuid NOT NULL,
        model       text NOT NULL,
        problems    jsonb NOT NULL,
        recorded_at timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE ${s}.features (
        project_id uuid NOT NULL,
        feature_id text NOT NULL,
        name       text NOT NULL,
        status     text NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (project_id, feature_id)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    for (const table of ['features', 'unpriced_calls', 'rollups', 'ledger_lines']) await runner.query(`DROP TABLE ${s}.${table}`);
  }
}
