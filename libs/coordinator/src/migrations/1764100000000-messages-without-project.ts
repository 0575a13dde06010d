import { schemaOf, type MigrationInterface, type QueryRunner } from '@autocoder/projections';

/**
 * A chat thread may start without a project (seed 004's message payload names none): its messages
 * have no project until a message ties the thread to one. The partial index finds a thread's
 * unfiled messages when that happens, and stays empty for threads that have a project.
 */
export class MessagesWithoutProject1764100000000 implements MigrationInterface {
  name = 'MessagesWithoutProject1764100000000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`ALTER TABLE ${s}.messages ALTER COLUMN project_id DROP NOT NULL`);
    await runner.query(`CREATE INDEX messages_unfiled ON ${s}.messages (thread_id) WHERE project_id IS NULL`);
  }

  /** Fails while a message without a project is stored: empty the read model first (it rebuilds from events). */
  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`DROP INDEX ${s}.messages_unfiled`);
    await runner.query(`ALTER TABLE ${s}.messages ALTER COLUMN project_id SET NOT NULL`);
  }
}
