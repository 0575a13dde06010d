import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'pg';
import { startEmbeddedPostgres } from '@autocoder/platform';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { PostgresEventStore } from '../src';
import { eventStoreContract } from './event-store-contract';

describeWith({ postgres: true }, 'Postgres event store on the real server', () => {
  eventStoreContract(async () => {
    const schema = uniqueSchema('es');
    const pools: Pool[] = [];
    const open = async () => {
      const pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 12 });
      pools.push(pool);
      return PostgresEventStore.open({ pool, schema });
    };
    const store = await open();
    return {
      store,
      secondStore: open,
      close: async () => {
        await store.close();
        await pools[0].query(`DROP SCHEMA ${schema} CASCADE`);
        await Promise.all(pools.map((p) => p.end()));
      },
    };
  });
});

describe('Postgres event store on embedded PGlite', () => {
  eventStoreContract(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'autocoder-es-'));
    const embedded = await startEmbeddedPostgres(join(dir, 'pgdata'));
    const pools: Pool[] = [];
    const open = async () => {
      const pool = new Pool({ connectionString: embedded.url, max: 4 });
      pools.push(pool);
      return PostgresEventStore.open({ pool, listen: false });
    };
    const store = await open();
    return {
      store,
      secondStore: open,
      close: async () => {
        await store.close();
        await Promise.all(pools.map((p) => p.end()));
        await embedded.stop();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
});

describeWith({ postgres: true }, 'Postgres event store: refused batches', () => {
  const schema = uniqueSchema('esbad');
  let pool: Pool;
  let store: PostgresEventStore;
  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    store = await PostgresEventStore.open({ pool, schema, listen: false });
  });
  afterAll(async () => {
    await store?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
  });
  const event = (id = randomUUID()) => ({ id, type: 'E', data: {}, metadata: { correlationId: randomUUID(), actor: 'test', time: new Date().toISOString() } });

  it('an id twice in one batch is refused with VALIDATION_FAILED and uses up no position', async () => {
    const before = await store.append(`s-${randomUUID()}`, [event()], 'no_stream');
    const twice = event();
    await expect(store.append(`s-${randomUUID()}`, [event(), twice, twice], 'no_stream')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    const after = await store.append(`s-${randomUUID()}`, [event()], 'no_stream');
    expect(after.position).toBe(before.position + 1);
  });
});
