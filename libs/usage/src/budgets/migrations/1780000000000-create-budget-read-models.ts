import { createCheckpointsTable, schemaOf, type MigrationInterface, type QueryRunner } from '@autocoder/projections';

/** The budgets' read models: each budget's folded state, and the runs paused for one. */
export class CreateBudgetReadModels1780000000000 implements MigrationInterface {
  name = 'CreateBudgetReadModels1780000000000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await createCheckpointsTable(runner, s);
    await runner.query(`
      CREATE TABLE ${s}.budgets (
        scope      text NOT NULL,
        scope_id   uuid NOT NULL,
        project_id uuid NOT NULL,
        state      jsonb NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (scope, scope_id)
      )`);
    await runner.query(`CREATE INDEX budgets_project ON ${s}.budgets (project_id)`);
    await runner.query(`
      CREATE TABLE ${s}.budget_paused_runs (
        run_id    uuid PRIMARY KEY,
        scope     text NOT NULL,
        scope_id  uuid NOT NULL,
        reason    text NOT NULL,
        paused_at timestamptz NOT NULL
      )`);
    await runner.query(`CREATE INDEX budget_paused_runs_budget ON ${s}.budget_paused_runs (scope, scope_id)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`DROP TABLE ${s}.budget_paused_runs`);
    await runner.query(`DROP TABLE ${s}.budgets`);
  }
}
