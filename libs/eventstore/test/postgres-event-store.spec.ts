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

describeWith({ postgres: true }, 'Postgres event store opened on a store created before batches were recorded', () => {
  const schema = uniqueSchema('esold');
  let pool: Pool;
  const stored = { id: randomUUID(), commandId: randomUUID() };
  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 2 });
    // The table as the first version of the store created it, holding one event.
    await pool.query(`CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.events (
        position bigserial PRIMARY KEY, event_id uuid NOT NULL, stream_id text NOT NULL, revision bigint NOT NULL, type text NOT NULL,
        data jsonb NOT NULL, metadata jsonb NOT NULL, recorded_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT events_event_id_key UNIQUE (event_id), CONSTRAINT events_stream_revision_key UNIQUE (stream_id, revision));
      INSERT INTO ${schema}.events (event_id, stream_id, revision, type, data, metadata)
        VALUES ('${stored.id}', 'old', 0, 'A', '{"n":1}', '{"commandId":"${stored.commandId}","correlationId":"c","actor":"a","time":"t"}');`);
  });
  afterAll(async () => {
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
  });

  it('gains its columns and index once, keeps its events, and still knows their re-append as a duplicate', async () => {
    for (let i = 0; i < 2; i++) await (await PostgresEventStore.open({ pool, schema, listen: false })).close();
    const store = await PostgresEventStore.open({ pool, schema, listen: false });
    try {
      const metadata = { correlationId: randomUUID(), commandId: stored.commandId, actor: 'a', time: new Date().toISOString() };
      expect(await store.append('old', [{ id: stored.id, type: 'A', data: { n: 1 }, metadata }], 'any')).toEqual({ nextExpectedRevision: 0, position: 1, duplicate: true });
      await expect(store.append('old', [{ id: stored.id, type: 'A', data: { n: 2 }, metadata }], 'any')).rejects.toMatchObject({ code: 'EVENT_ID_CONFLICT' });
      expect((await store.append('old', [{ id: randomUUID(), type: 'B', data: {}, metadata }], 0)).nextExpectedRevision).toBe(1);
      expect(await store.headPosition({ types: ['A'] })).toBe(1);
      const { rows } = await pool.query(`SELECT indexname FROM pg_indexes WHERE schemaname = $1 AND indexname = 'events_type_position'`, [schema]);
      expect(rows).toHaveLength(1);
    } finally {
      await store.close();
    }
  });
});
