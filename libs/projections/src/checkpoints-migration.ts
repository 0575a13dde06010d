import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Every service that projects keeps its checkpoints beside its read models, in its own schema. */
export const createCheckpointsTable = async (runner: QueryRunner, schema: string) => {
  await runner.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  await runner.query(`
    CREATE TABLE IF NOT EXISTS ${schema}.projection_checkpoints (
      name       text PRIMARY KEY,
      position   bigint NOT NULL,
      updated_at timestamptz NOT NULL
    )`);
};

export const schemaOf = (runner: QueryRunner): string => {
  const schema = (runner.connection.options as { schema?: string }).schema;
  if (!schema) throw new Error('the DataSource needs a schema option: each service keeps its tables in its own schema');
  return schema;
};

export type { MigrationInterface, QueryRunner };
