import { join } from 'node:path';
import { Pool } from 'pg';
import { startEmbeddedPostgres } from './embedded-postgres';

export interface Database {
  url: string;
  embedded: boolean;
  pool: Pool;
  close(): Promise<void>;
}

/** DATABASE_URL when given; otherwise the embedded PGlite under `<home>/pgdata`. */
export async function openDatabase(options: { databaseUrl: string | null; home: string; poolSize?: number }): Promise<Database> {
  const embedded = options.databaseUrl ? null : await startEmbeddedPostgres(join(options.home, 'pgdata'));
  const url = options.databaseUrl ?? embedded!.url;
  const pool = new Pool({ connectionString: url, max: options.poolSize ?? (embedded ? 8 : 16) });
  // An idle client losing its server must not crash the process; the next query reports it.
  pool.on('error', () => undefined);
  return {
    url,
    embedded: embedded !== null,
    pool,
    close: async () => {
      await pool.end();
      await embedded?.stop();
    },
  };
}
