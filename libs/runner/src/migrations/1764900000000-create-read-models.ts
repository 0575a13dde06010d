import { createCheckpointsTable, schemaOf, type MigrationInterface, type QueryRunner } from '@autocoder/projections';

const usageColumns = `
        usage_input          bigint NOT NULL,
        usage_output         bigint NOT NULL,
        usage_cache_write_5m bigint NOT NULL,
        usage_cache_write_1h bigint NOT NULL,
        usage_cache_read     bigint NOT NULL`;

/** The runner's read models: projects, features, runs, sessions and the runs' timeline. */
export class CreateRunnerReadModels1764900000000 implements MigrationInterface {
  name = 'CreateRunnerReadModels1764900000000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await createCheckpointsTable(runner, s);
    await runner.query(`
      CREATE TABLE ${s}.projects (
        project_id     uuid PRIMARY KEY,
        name           text NOT NULL,
        spec           text NOT NULL,
        path           text NOT NULL,
        repository_url text,
        network        boolean NOT NULL,
        registered_at  timestamptz NOT NULL,
        updated_at     timestamptz NOT NULL
      )`);
    await runner.query(`
      CREATE TABLE ${s}.features (
        project_id    uuid NOT NULL,
        feature_id    text NOT NULL,
        feature_index integer NOT NULL,
        category      text NOT NULL,
        name          text NOT NULL,
        description   text NOT NULL,
        steps         jsonb NOT NULL,
        priority      integer NOT NULL,
        depends_on    jsonb NOT NULL,
        status        text NOT NULL,
        task_id       uuid NOT NULL,
        reason        text,
        evidence      jsonb,
        yolo          boolean NOT NULL,
        updated_at    timestamptz NOT NULL,
        PRIMARY KEY (project_id, feature_id)
      )`);
    // Listing a project's features in order; the counts by status read the same index.
    await runner.query(`CREATE INDEX features_project ON ${s}.features (project_id, feature_index)`);
    await runner.query(`
      CREATE TABLE ${s}.runs (
        run_id      uuid PRIMARY KEY,
        project_id  uuid NOT NULL,
        status      text NOT NULL,
        yolo        boolean NOT NULL,
        model       text NOT NULL,
        limits      jsonb NOT NULL,
        sessions    integer NOT NULL,
        model_calls integer NOT NULL,
        tool_calls  integer NOT NULL,${usageColumns},
        reason      text,
        completion  text,
        started_at  timestamptz NOT NULL,
        updated_at  timestamptz NOT NULL,
        ended_at    timestamptz
      )`);
    await runner.query(`CREATE INDEX runs_project ON ${s}.runs (project_id, started_at)`);
    await runner.query(`CREATE INDEX runs_started ON ${s}.runs (started_at)`);
    await runner.query(`
      CREATE TABLE ${s}.sessions (
        session_id  uuid PRIMARY KEY,
        run_id      uuid NOT NULL,
        project_id  uuid,
        number      integer NOT NULL,
        kind        text NOT NULL,
        feature_id  text,
        task_id     uuid,
        model       text,
        turns       integer NOT NULL,
        tool_calls  integer NOT NULL,${usageColumns},
        outcome     text,
        reason      text,
        started_at  timestamptz NOT NULL,
        ended_at    timestamptz
      )`);
    await runner.query(`CREATE INDEX sessions_run ON ${s}.sessions (run_id, number)`);
    await runner.query(`
      CREATE TABLE ${s}.run_timeline (
        seq            bigint PRIMARY KEY,
        run_id         uuid NOT NULL,
        project_id     uuid NOT NULL,
        session_id     uuid,
        type           text NOT NULL,
        event_type     text NOT NULL,
        at             timestamptz NOT NULL,
        data           jsonb NOT NULL,
        level          text NOT NULL,
        msg            text NOT NULL,
        correlation_id text
      )`);
    await runner.query(`CREATE INDEX run_timeline_run ON ${s}.run_timeline (run_id, seq)`);
    await runner.query(`CREATE INDEX run_timeline_session ON ${s}.run_timeline (session_id, seq) WHERE session_id IS NOT NULL`);
    await runner.query(`
      CREATE TABLE ${s}.run_timeline_runs (
        run_id     uuid PRIMARY KEY,
        project_id uuid NOT NULL,
        ended_at   timestamptz
      )`);
    await runner.query(`
      CREATE TABLE ${s}.run_timeline_sessions (
        session_id uuid PRIMARY KEY,
        run_id     uuid NOT NULL,
        ended_at   timestamptz
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(
      `DROP TABLE ${s}.run_timeline_sessions, ${s}.run_timeline_runs, ${s}.run_timeline, ${s}.sessions, ${s}.runs, ${s}.features, ${s}.projects`,
    );
  }
}
