import { schemaOf, type MigrationInterface, type QueryRunner } from '@autocoder/projections';

/**
 * Claim-next reads ready tasks of one specialization in claim order (priority, age, id): with the
 * id in the index, that read stops after the few rows it returns instead of sorting every ready task.
 */
export class ClaimNextOrder1764500000000 implements MigrationInterface {
  name = 'ClaimNextOrder1764500000000';

  async up(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`CREATE INDEX tasks_ready_in_claim_order ON ${s}.tasks (required_specialization_code, priority, created_at, task_id) WHERE status = 'ready'`);
    await runner.query(`DROP INDEX ${s}.tasks_ready`);
  }

  async down(runner: QueryRunner): Promise<void> {
    const s = schemaOf(runner);
    await runner.query(`CREATE INDEX tasks_ready ON ${s}.tasks (required_specialization_code, priority, created_at) WHERE status = 'ready'`);
    await runner.query(`DROP INDEX ${s}.tasks_ready_in_claim_order`);
  }
}
