import { connect } from 'nats';
import { Client } from 'pg';
import { TEST_DATABASE_URL, TEST_NATS_URL } from './services';

const required = () => process.env.CI === 'true' || process.env.AUTOCODER_REQUIRE_SERVICES === '1';

async function probe(what: string, attempt: () => Promise<void>): Promise<boolean> {
  try {
    await attempt();
    return true;
  } catch (error) {
    const message = `${what} is not reachable: ${(error as Error).message}`;
    if (required()) throw new Error(`${message} (CI / AUTOCODER_REQUIRE_SERVICES=1 requires it)`);
     
    console.warn(`${message}; suites that need it are skipped`);
    return false;
  }
}

/** Runs once before all suites: finds out which real servers are there for the workers. */
export default async function globalSetup() {
  const postgres = await probe(`Postgres at ${TEST_DATABASE_URL}`, async () => {
    const client = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3000 });
    await client.connect();
    await client.query('SELECT 1');
    await client.end();
  });
  const nats = await probe(`NATS at ${TEST_NATS_URL}`, async () => {
    const nc = await connect({ servers: TEST_NATS_URL, timeout: 3000, reconnect: false });
    await nc.close();
  });
  if (!process.env.EVENTSTORE_URL) {
     
    console.warn('EventStoreDB contract suite: skipped (EVENTSTORE_URL is not set; `docker compose up eventstore` starts one)');
  }
  // Workers are started after this and inherit the environment.
  process.env.AUTOCODER_TEST_POSTGRES = postgres ? 'up' : 'down';
  process.env.AUTOCODER_TEST_NATS = nats ? 'up' : 'down';
}
