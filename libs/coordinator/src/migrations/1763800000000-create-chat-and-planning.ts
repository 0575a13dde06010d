import { schemaOf, type MigrationInterface, type QueryRunner } from '@autocoder/projections';

/** Read models of the coordination chat (messages), plans and decisions (each with its kept revisions). */
export class CreateChatAndPlanning1763800000000 implements MigrationInterface {
  name = 'CreateChatAndPlanning1763800000000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`
      CREATE TABLE ${s}.messages (
        message_id   uuid PRIMARY KEY,
        thread_id    uuid NOT NULL,
        project_id   uuid NOT NULL,
        task_id      uuid,
        sender_id    uuid NOT NULL,
        message_type text NOT NULL,
        payload      jsonb NOT NULL,
        posted_at    timestamptz NOT NULL,
        sequence     integer NOT NULL,
        position     bigint NOT NULL
      )`);
    await runner.query(`CREATE INDEX messages_thread ON ${s}.messages (thread_id, posted_at, position)`);
    await runner.query(`CREATE INDEX messages_project ON ${s}.messages (project_id, posted_at, position)`);
    await runner.query(`CREATE INDEX messages_task ON ${s}.messages (task_id, posted_at, position) WHERE task_id IS NOT NULL`);

    for (const [table, id] of [
      ['plans', 'plan_id'],
      ['decisions', 'decision_id'],
    ]) {
      await runner.query(`
        CREATE TABLE ${s}.${table} (
          ${id}                  uuid PRIMARY KEY,
          project_id             uuid NOT NULL,
          title                  text NOT NULL,
          body_markdown          text NOT NULL,
          revision               integer NOT NULL,
          created_by             text NOT NULL,
          created_by_employee_id uuid,
          created_at             timestamptz NOT NULL,
          updated_by             text NOT NULL,
          updated_by_employee_id uuid,
          updated_at             timestamptz NOT NULL
        )`);
      await runner.query(`CREATE INDEX ${table}_project ON ${s}.${table} (project_id, created_at)`);
      await runner.query(`
        CREATE TABLE ${s}.${table.slice(0, -1)}_revisions (
          ${id}              uuid NOT NULL,
          revision           integer NOT NULL,
          title              text NOT NULL,
          body_markdown      text NOT NULL,
          author             text NOT NULL,
          author_employee_id uuid,
          revised_at         timestamptz NOT NULL,
          PRIMARY KEY (${id}, revision)
        )`);
    }
  }

  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`DROP TABLE ${s}.decision_revisions, ${s}.decisions, ${s}.plan_revisions, ${s}.plans, ${s}.messages`);
  }
}
