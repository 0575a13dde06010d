import { randomUUID } from 'node:crypto';
import { PostgresEventStore } from '@autocoder/eventstore';
import { createLogger } from '@autocoder/platform';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Pool } from 'pg';
import { DataSource, type EntityManager } from 'typeorm';
import { HandlerProjection, Projector, rebuildAll, type EventHandlers, type Recorded } from '../src';

type CountEvent = { type: 'Counted'; data: { poison?: boolean } } | { type: 'Reset'; data: Record<string, never> };
interface Hooks {
  /** Runs inside the batch's transaction, after its rows are written. */
  inBatch?: () => Promise<void>;
  /** Count poison events like any other (a projection that has no trouble with them). */
  countPoison?: boolean;
}

/** Counts events per stream: wrong if an event is applied twice or skipped. A `poison` event always throws. */
class CountsProjection extends HandlerProjection<CountEvent, { tx: EntityManager; streams: string[] }, string> {
  readonly tables: string[];
  protected readonly handlers: EventHandlers<CountEvent, { tx: EntityManager; streams: string[] }> = {
    Counted: async (e, batch) => {
      if (e.data.poison && !this.hooks.countPoison) throw new Error('this event cannot be counted');
      await batch.tx.query(
        `INSERT INTO ${this.table} (stream, n) VALUES ($1, 1) ON CONFLICT (stream) DO UPDATE SET n = ${this.table}.n + 1`,
        [e.stream],
      );
      batch.streams.push(e.stream);
    },
    Reset: () => undefined,
  };

  constructor(
    readonly name: string,
    private readonly table: string,
    private readonly hooks: Hooks = {},
  ) {
    super();
    this.tables = [table];
  }

  protected async begin(_events: Recorded<CountEvent>[], tx: EntityManager) {
    return { tx, streams: [] as string[] };
  }

  protected async finish(batch: { streams: string[] }) {
    await this.hooks.inBatch?.();
    return batch.streams;
  }
}

describeWith({ postgres: true }, 'Projector on the real Postgres', () => {
  const schema = uniqueSchema('proj');
  let pool: Pool;
  let store: PostgresEventStore;
  let dataSource: DataSource;
  const logger = createLogger('test', 'silent');
  const event = (type: string, data: object = {}) => ({ id: randomUUID(), type, data, metadata: { correlationId: randomUUID(), actor: 'test', time: new Date().toISOString() } });
  const projector = (projection = new CountsProjection('test.counts', `${schema}.counts`), retry?: { attempts: number; firstDelayMs: number }) =>
    new Projector({ store, dataSource, projection, schema, logger, batchSize: 7, retry });
  const countsIn = async (table: string) =>
    Object.fromEntries((await pool.query(`SELECT stream, n FROM ${table} ORDER BY stream`)).rows.map((r) => [r.stream, r.n]));
  const counts = () => countsIn(`${schema}.counts`);
  /** The last event of the projection's types (the store holds others too). */
  const head = async () => (await store.headPosition({ types: ['Counted', 'Reset'] }))!;
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const createCounts = (table: string) => pool.query(`CREATE TABLE ${table} (stream text PRIMARY KEY, n int NOT NULL)`);

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 8 });
    store = await PostgresEventStore.open({ pool, schema: `${schema}_es` });
    dataSource = await new DataSource({ type: 'postgres', url: TEST_DATABASE_URL, schema }).initialize();
    await pool.query(`CREATE SCHEMA ${schema};
      CREATE TABLE ${schema}.projection_checkpoints (name text PRIMARY KEY, position bigint NOT NULL, updated_at timestamptz NOT NULL);`);
    await createCounts(`${schema}.counts`);
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

  it('reads only the types it handles: other events never reach it, and it is caught up at the last event of its types', async () => {
    const follower = projector();
    await follower.start();
    await follower.waitFor(await head());
    expect(follower.filter.types).toEqual(['Counted', 'Reset']);
    await store.append('count-g', [event('Counted')], 'no_stream');
    const ownLast = await head();
    await store.append(`noise-${randomUUID()}`, [event('SomethingElse'), event('SomethingElse')], 'no_stream');
    await follower.waitFor(ownLast);
    expect(await follower.isCaughtUp()).toBe(true);
    expect(follower.checkpoint).toBe(ownLast);
    expect(await store.headPosition()).toBeGreaterThan(ownLast);
    await follower.stop();
  });

  it('an instance that finds its checkpoint reset by a rebuild elsewhere replays from there', async () => {
    const follower = projector();
    await follower.start();
    await follower.waitFor(await head());
    const before = await counts();
    // What another instance's rebuild does: empty the table and reset the checkpoint.
    await pool.query(`DELETE FROM ${schema}.counts; UPDATE ${schema}.projection_checkpoints SET position = -1 WHERE name = 'test.counts'`);
    await store.append('count-f', [event('Counted')], 'no_stream');
    const last = await head();
    const deadline = Date.now() + 10_000;
    while ((await counts())['count-f'] !== 1 || Object.keys(await counts()).length !== Object.keys(before).length + 1) {
      if (Date.now() > deadline) throw new Error(`read model incomplete: ${JSON.stringify(await counts())}`);
      await sleep(50);
    }
    expect(await counts()).toEqual({ ...before, 'count-f': 1 });
    expect(follower.checkpoint).toBe(last);
    await follower.stop();
  });

  it('rebuild() replays every event of its types from zero into identical rows', async () => {
    const rebuilding = projector();
    await rebuilding.start();
    await rebuilding.waitFor(await head());
    const before = await counts();
    const [report] = await rebuildAll([rebuilding as Projector<unknown>]);
    const counted = (await store.readAll({ after: null, maxCount: 100000 })).filter((e) => e.type === 'Counted').length;
    expect(report).toEqual({ name: 'test.counts', eventsReplayed: counted, rows: Object.keys(before).length });
    expect(await counts()).toEqual(before);
    await rebuilding.stop();
  });

  it('a rebuild while another instance is in the middle of a batch leaves every event applied once', async () => {
    const table = `${schema}.race_counts`;
    await createCounts(table);
    const streams = Array.from({ length: 3 }, () => `race-${randomUUID()}`);
    for (const stream of streams) await store.append(stream, [event('Counted'), event('Counted'), event('Counted')], 'no_stream');

    // The other instance writes its first batch's rows, then holds its transaction open until released.
    let entered!: () => void;
    const inBatch = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let first = true;
    const other = projector(
      new CountsProjection('test.race', table, {
        inBatch: async () => {
          if (!first) return;
          first = false;
          entered();
          await released;
        },
      }),
    );
    const rebuilder = projector(new CountsProjection('test.race', table));
    await other.start();
    await inBatch;

    const rebuilt = rebuilder.rebuild();
    // The rebuild is now blocked on the checkpoint row the other instance holds.
    const deadline = Date.now() + 10_000;
    for (;;) {
      const { rows } = await pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '.projection_checkpoints%'`,
        [schema],
      );
      if (rows[0].n > 0) break;
      if (Date.now() > deadline) throw new Error('the rebuild never waited for the other instance');
      await sleep(20);
    }
    release();
    await rebuilt;
    const last = await head();
    await other.waitFor(last).catch(() => undefined);
    const expected: Record<string, number> = {};
    for (const e of await store.readAll({ after: null, maxCount: 100_000, filter: { types: ['Counted'] } })) expected[e.stream] = (expected[e.stream] ?? 0) + 1;
    expect(streams.map((s) => expected[s])).toEqual([3, 3, 3]);
    expect(await countsIn(table)).toEqual(expected);
    await Promise.all([other.stop(), rebuilder.stop()]);
  });

  it('stops at a poison event after a few attempts, reports it, applies what came before, and holds up no other projector', async () => {
    const table = `${schema}.poison_counts`;
    await createCounts(table);
    const start = (await store.headPosition()) ?? -1;
    const good = `poison-good-${randomUUID()}`;
    const bad = `poison-bad-${randomUUID()}`;
    await store.append(good, [event('Counted'), event('Counted')], 'no_stream');
    await store.append(bad, [event('Counted', { poison: true })], 'no_stream');
    const poison = (await store.readStream(bad))[0];
    await store.append(good, [event('Counted')], 1);

    const poisoned = projector(new CountsProjection('test.poison', table), { attempts: 3, firstDelayMs: 20 });
    await pool.query(`INSERT INTO ${schema}.projection_checkpoints VALUES ('test.poison', $1, now())`, [start]);
    const healthy = projector(new CountsProjection('test.counts', `${schema}.counts`, { countPoison: true }));
    await Promise.all([poisoned.start(), healthy.start()]);
    const waiting = poisoned.waitFor(poison.position);

    await expect(waiting).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining(`stopped at position ${poison.position}`) });
    expect(poisoned.status).toEqual({
      name: 'test.poison',
      state: 'stopped',
      position: poison.position - 1,
      failing: { position: poison.position, stream: bad, type: 'Counted', attempts: 3, error: 'this event cannot be counted' },
    });
    // Applied up to the poison event, nothing after it; a new wait is refused at once.
    expect(await countsIn(table)).toEqual({ [good]: 2 });
    await expect(poisoned.waitFor(poison.position + 1, 60_000)).rejects.toMatchObject({ code: 'INTERNAL' });

    // Another projection follows the same events to the end.
    await healthy.waitFor(await head());
    expect(await counts()).toMatchObject({ [good]: 3, [bad]: 1 });
    expect(healthy.status.state).toBe('running');
    await Promise.all([poisoned.stop(), healthy.stop()]);
  });
});
