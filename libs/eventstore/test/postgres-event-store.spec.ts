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

describeWith({ postgres: true }, 'Postgres event store: appends made at once share one transaction', () => {
  const schema = uniqueSchema('esbatch');
  let pool: Pool;
  let store: PostgresEventStore;
  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    store = await PostgresEventStore.open({ pool, schema, listen: false, appendsInFlight: 1 });
  });
  afterAll(async () => {
    await store?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
  });
  const event = (data: unknown = {}, id = randomUUID()) => ({
    id,
    type: 'E',
    data,
    metadata: { correlationId: randomUUID(), actor: 'test', time: new Date().toISOString() },
  });
  const transactionOf = async (stream: string) =>
    (await pool.query<{ xmin: string }>(`SELECT xmin::text FROM ${schema}.events WHERE stream_id = $1`, [stream])).rows.map((r) => r.xmin);

  it('gives every append its own outcome, as if each were alone, and writes those that succeed in one transaction', async () => {
    const stored = event();
    await store.append('stored', [stored], 'no_stream');
    await new Promise(setImmediate); // its batch is done with
    // The first append is in flight; the next ones wait for it and go together.
    const first = store.append('first', [event()], 'no_stream');
    const results = await Promise.allSettled([
      store.append('a', [event(), event()], 'no_stream'),
      store.append('a', [event()], 'no_stream'), // a's first append took it: wrong revision
      store.append('a', [event()], 1), // after a's two events: appends
      store.append('stored', [stored], 'any'), // the very batch stored before: a duplicate
      store.append('other', [{ ...stored, data: { changed: true } }], 'any'), // a stored id with other data
      store.append('b', [event()], 'no_stream'),
    ]);
    await first;
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as { code: string }).code))).toEqual([
      { nextExpectedRevision: 1, position: 4 },
      'WRONG_EXPECTED_REVISION',
      { nextExpectedRevision: 2, position: 5 },
      { nextExpectedRevision: 0, position: 1, duplicate: true },
      'EVENT_ID_CONFLICT',
      { nextExpectedRevision: 0, position: 6 },
    ]);
    const [a, b, alone] = [await transactionOf('a'), await transactionOf('b'), await transactionOf('first')];
    expect(new Set([...a, ...b]).size).toBe(1);
    expect(alone[0]).not.toBe(a[0]);
    expect((await store.readStream('a')).map((e) => e.revision)).toEqual([0, 1, 2]);
  });

  it('answers each append of a batch Postgres refused on its own: the bad one fails, the others are written', async () => {
    await new Promise(setImmediate);
    const first = store.append('first-2', [event()], 'no_stream');
    const [good, bad, alsoGood] = await Promise.allSettled([
      store.append('good', [event()], 'no_stream'),
      store.append('bad', [event({ text: 'nul \u0000 byte' })], 'no_stream'), // jsonb has no \u0000
      store.append('also-good', [event()], 'no_stream'),
    ]);
    await first;
    expect(good.status).toBe('fulfilled');
    expect(bad).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/unicode|\\\\u0000/i) } });
    expect(alsoGood.status).toBe('fulfilled');
    expect(await store.readStream('good')).toHaveLength(1);
    expect(await store.readStream('also-good')).toHaveLength(1);
    await expect(store.readStream('bad')).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });
  });
});
