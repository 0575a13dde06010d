import { randomUUID } from 'node:crypto';
import { PostgresEventStore, type RecordedEvent } from '@autocoder/eventstore';
import { createLogger } from '@autocoder/platform';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Pool } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { Projector, type Projection } from '../src';

/** Counts events per stream: wrong if an event is applied twice or skipped. */
class CountsProjection implements Projection<string> {
  readonly name = 'test.counts';
  readonly tables: string[];
  constructor(private readonly schema: string) {
    this.tables = [`${schema}.counts`];
  }
  async apply(events: RecordedEvent[], tx: EntityManager) {
    for (const e of events) {
      await tx.query(
        `INSERT INTO ${this.schema}.counts (stream, n) VALUES ($1, 1) ON CONFLICT (stream) DO UPDATE SET n = ${this.schema}.counts.n + 1`,
        [e.stream],
      );
    }
    return events.map((e) => e.stream);
  }
}

describeWith({ postgres: true }, 'Projector on the real Postgres', () => {
  const schema = uniqueSchema('proj');
  let pool: Pool;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  const logger = createLogger('test', 'silent');
  const event = (type: string) => ({ id: randomUUID(), type, data: {}, metadata: { correlationId: randomUUID(), actor: 'test', time: new Date().toISOString() } });
  const projector = () => new Projector({ store, dataSource, projection: new CountsProjection(schema), schema, logger, batchSize: 7 });
  const counts = async () =>
    Object.fromEntries((await pool.query(`SELECT stream, n FROM ${schema}.counts ORDER BY stream`)).rows.map((r) => [r.stream, r.n]));
  const head = async () => (await store.readAll({ after: null, maxCount: 100000 })).at(-1)!.position;

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 8 });
    store = await PostgresEventStore.open({ pool, schema: `${schema}_es` });
    dataSource = await new DataSource({ type: 'postgres', url: TEST_DATABASE_URL, schema }).initialize();
    await pool.query(`CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.projection_checkpoints (name text PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL);
      CREATE TABLE ${schema}.counts (stream text PRIMARY KEY, n int NOT NULL);`);
  });
  afterAll(async () => {
    await store?.close();
    await dataSource?.destroy();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE; DROP SCHEMA IF EXISTS ${schema}_es CASCADE`);
    await pool?.end();
  });

  it('two instances projecting at once apply every event exactly once', async () => {
    const [one, two] = [projector(), projector()];
    await Promise.all([one.start(), two.start()]);
    await Promise.all(
      ['a', 'b', 'c', 'd'].map(async (s) => {
        for (let i = 0; i < 25; i++) await store.append(`count-${s}`, [event('Counted')], i === 0 ? 'no_stream' : i - 1);
      }),
    );
    const last = await head();
    await Promise.all([one.waitFor(last), two.waitFor(last)]);
    expect(await counts()).toEqual({ 'count-a': 25, 'count-b': 25, 'count-c': 25, 'count-d': 25 });
    await Promise.all([one.stop(), two.stop()]);
  });

  it('resumes from its checkpoint after a restart without applying anything twice', async () => {
    await store.append('count-e', [event('Counted'), event('Counted')], 'no_stream');
    const again = projector();
    await again.start();
    await again.waitFor(await head());
    expect((await counts())['count-e']).toBe(2);
    expect((await counts())['count-a']).toBe(25);
    await again.stop();
  });

  it('an instance that finds its checkpoint reset by a rebuild elsewhere replays from there', async () => {
    const follower = projector();
    await follower.start();
    await follower.waitFor(await head());
    const before = await counts();
    // What another instance's rebuild does first: empty the table and reset the checkpoint.
    await pool.query(`DELETE FROM ${schema}.counts; UPDATE ${schema}.projection_checkpoints SET position = -1 WHERE name = 'test.counts'`);
    await store.append('count-f', [event('Counted')], 'no_stream');
    const last = await head();
    const deadline = Date.now() + 10_000;
    while ((await counts())['count-f'] !== 1 || Object.keys(await counts()).length !== Object.keys(before).length + 1) {
      if (Date.now() > deadline) throw new Error(`read model incomplete: ${JSON.stringify(await counts())}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await counts()).toEqual({ ...before, 'count-f': 1 });
    expect(follower.checkpoint).toBe(last);
    await follower.stop();
  });

  it('rebuild() replays every event from zero into identical rows', async () => {
    const rebuilding = projector();
    await rebuilding.start();
    await rebuilding.waitFor(await head());
    const before = await counts();
    const { eventsReplayed } = await rebuilding.rebuild();
    expect(eventsReplayed).toBe((await store.readAll({ after: null, maxCount: 100000 })).length);
    expect(await counts()).toEqual(before);
    await rebuilding.stop();
  });
});
