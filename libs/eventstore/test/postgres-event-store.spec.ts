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
