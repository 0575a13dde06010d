import { schemaOf, type MigrationInterface, type QueryRunner } from '@autocoder/projections';

export class CreateTasks1763750000000 implements MigrationInterface {
  name = 'CreateTasks1763750000000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`
      CREATE TABLE ${s}.tasks (
        task_id                      uuid PRIMARY KEY,
        project_id                   uuid NOT NULL,
        title                        text NOT NULL,
        description                  text NOT NULL,
        required_specialization_code text NOT NULL,
        created_by                   uuid NOT NULL,
        priority                     text NOT NULL,
        depends_on                   uuid[] NOT NULL,
        status                       text NOT NULL,
        blocker                      text,
        lease_id                     text,
        assignee_agent_id            uuid,
        assignee_id                  uuid,
        lease_expires_at             timestamptz,
        fencing_token                integer NOT NULL,
        lease_ttl_sec                integer NOT NULL,
        claim_override               boolean NOT NULL,
        created_at                   timestamptz NOT NULL,
        updated_at                   timestamptz NOT NULL,
        revision                     integer NOT NULL
      )`);
    await runner.query(`CREATE INDEX tasks_ready ON ${s}.tasks (required_specialization_code, priority, created_at) WHERE status = 'ready'`);
    await runner.query(`CREATE INDEX tasks_project ON ${s}.tasks (project_id)`);
    await runner.query(`CREATE INDEX tasks_assignee ON ${s}.tasks (assignee_id)`);
    await runner.query(`CREATE INDEX tasks_lease_expiry ON ${s}.tasks (lease_expires_at) WHERE lease_expires_at IS NOT NULL`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE ${schemaOf(runner)}.tasks`);
  }
}
