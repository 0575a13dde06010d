import { randomBytes } from 'node:crypto';

/** The machine's real servers the integration suites use; override to point elsewhere. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const TEST_EVENTSTORE_URL = process.env.EVENTSTORE_URL ?? null;

/** Set by the global setup after it tried each server. */
export const postgresAvailable = () => process.env.AUTOCODER_TEST_POSTGRES === 'up';
export const natsAvailable = () => process.env.AUTOCODER_TEST_NATS === 'up';

const skipNote = (suite: string, what: string) =>
   
  console.warn(`SKIPPED "${suite}": ${what} is not reachable (CI requires it; locally the suite is reported as skipped)`);

/** A describe that runs only when its servers answered; otherwise it is reported as skipped. */
export function describeWith(needs: { postgres?: boolean; nats?: boolean; eventstore?: boolean }, name: string, fn: () => void) {
  const missing = [
    needs.postgres && !postgresAvailable() ? `Postgres at ${TEST_DATABASE_URL}` : null,
    needs.nats && !natsAvailable() ? `NATS at ${TEST_NATS_URL}` : null,
    needs.eventstore && !TEST_EVENTSTORE_URL ? 'EventStoreDB (EVENTSTORE_URL is not set)' : null,
  ].filter(Boolean);
  if (missing.length) {
    skipNote(name, missing.join(' and '));
    describe.skip(name, fn);
  } else {
    describe(name, fn);
  }
}

/** A fresh Postgres schema name, so suites running side by side never share tables. */
export const uniqueSchema = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;

/**
 * Drops every schema whose name starts with `prefix` (an installation's event store and every
 * service's schema), so a suite's clean-up needs no list of the services there are.
 */
export async function dropSchemasWithPrefix(prefix: string, databaseUrl = TEST_DATABASE_URL): Promise<string[]> {
  const { Client } = await import('pg');
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const pattern = `${prefix.replace(/[\\_%]/g, (c) => `\\${c}`)}%`;
    const { rows } = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [pattern]);
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
    const left = await client.query<{ nspname: string }>('SELECT nspname FROM pg_namespace WHERE nspname LIKE $1', [pattern]);
    return left.rows.map((r) => r.nspname);
  } finally {
    await client.end();
  }
}
