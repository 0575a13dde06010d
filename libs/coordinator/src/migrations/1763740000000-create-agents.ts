import { createCheckpointsTable, schemaOf, type MigrationInterface, type QueryRunner } from '@autocoder/projections';

export class CreateAgents1763740000000 implements MigrationInterface {
  name = 'CreateAgents1763740000000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await createCheckpointsTable(runner, s);
    await runner.query(`
      CREATE TABLE ${s}.agents (
        agent_id             uuid PRIMARY KEY,
        employee_id          uuid NOT NULL,
        name                 text NOT NULL,
        endpoint_url         text,
        specialization_codes text[] NOT NULL,
        capabilities         jsonb NOT NULL,
        owner_employee_id    uuid,
        status               text NOT NULL,
        status_metadata      jsonb NOT NULL,
        last_heartbeat_at    timestamptz,
        registered_at        timestamptz NOT NULL,
        updated_at           timestamptz NOT NULL,
        revision             integer NOT NULL
      )`);
    await runner.query(`CREATE UNIQUE INDEX agents_employee_id ON ${s}.agents (employee_id)`);
    await runner.query(`CREATE INDEX agents_status ON ${s}.agents (status)`);
    await runner.query(`CREATE INDEX agents_owner ON ${s}.agents (owner_employee_id)`);
    await runner.query(`CREATE INDEX agents_specializations ON ${s}.agents USING gin (specialization_codes)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`DROP TABLE ${s}.agents`);
  }
}
