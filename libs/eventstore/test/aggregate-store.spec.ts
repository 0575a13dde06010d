import { randomUUID } from 'node:crypto';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Pool } from 'pg';
import { AggregateStore, PostgresEventStore, type Decider } from '../src';

type Event = { type: 'Counted'; data: { by: number; at: string } };
type Command = { type: 'Count'; data: { by: number; at: string } };
const counter: Decider<Command, Event, { total: number; last: string | null }> = {
  decide: (command) => [{ type: 'Counted', data: command.data }],
  evolve: (state, event) => ({ total: state.total + event.data.by, last: event.data.at }),
  initialState: { total: 0, last: null },
};
const context = (commandId: string) => ({ commandId, correlationId: commandId, actor: 'test', time: new Date().toISOString() });

describeWith({ postgres: true }, 'AggregateStore on the real Postgres', () => {
  const schema = uniqueSchema('agg');
  let pool: Pool;
  let store: PostgresEventStore;

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 8 });
    store = await PostgresEventStore.open({ pool, schema });
  });
  afterAll(async () => {
    await store?.close();
    await pool?.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool?.end();
  });

  it('decides a writing command on its cached state without reading the stream, and proves it by the append', async () => {
    const stream = `counter-${randomUUID()}`;
    const aggregates = new AggregateStore(store, counter);
    await aggregates.handle(stream, { type: 'Count', data: { by: 1, at: 'a' } }, context(randomUUID()));
    const reads = jest.spyOn(store, 'readStream');
    await aggregates.handle(stream, { type: 'Count', data: { by: 2, at: 'b' } }, context(randomUUID()));
    expect(reads).not.toHaveBeenCalled();
    // Another instance appends meanwhile: the cached state is stale, the append conflicts, the retry reads.
    await new AggregateStore(store, counter).handle(stream, { type: 'Count', data: { by: 10, at: 'c' } }, context(randomUUID()));
    const result = await aggregates.handle(stream, { type: 'Count', data: { by: 4, at: 'd' } }, context(randomUUID()));
    expect(reads).toHaveBeenCalled();
    reads.mockRestore();
    expect(result.state.total).toBe(17);
    expect((await store.readStream(stream)).map((e) => (e.data as { by: number }).by)).toEqual([1, 2, 10, 4]);
  });

  it('never answers a refusal decided on a stale cached state: it decides again on the stream', async () => {
    type Lock = { type: 'Locked' | 'Unlocked'; data: { by: string } };
    const lock: Decider<{ type: 'Lock' | 'Unlock'; data: { by: string } }, Lock, { holder: string | null }> = {
      decide: (command, state) => {
        if (command.type === 'Unlock') return state.holder ? [{ type: 'Unlocked', data: command.data }] : [];
        if (state.holder) throw new Error(`held by ${state.holder}`);
        return [{ type: 'Locked', data: command.data }];
      },
      evolve: (_state, event) => ({ holder: event.type === 'Locked' ? event.data.by : null }),
      initialState: { holder: null },
    };
    const stream = `lock-${randomUUID()}`;
    const [a, b] = [new AggregateStore(store, lock), new AggregateStore(store, lock)];
    await a.handle(stream, { type: 'Lock', data: { by: 'a' } }, context(randomUUID()));
    await b.handle(stream, { type: 'Unlock', data: { by: 'b' } }, context(randomUUID()));
    // a's cache still says a holds the lock; on the stream it is free.
    const taken = await a.handle(stream, { type: 'Lock', data: { by: 'a2' } }, context(randomUUID()));
    expect(taken.state).toEqual({ holder: 'a2' });
  });

  it('retries on a conflict so concurrent commands on one stream all apply, in some order', async () => {
    const stream = `counter-${randomUUID()}`;
    const instances = [new AggregateStore(store, counter), new AggregateStore(store, counter), new AggregateStore(store, counter)];
    await Promise.all(Array.from({ length: 12 }, (_, i) => instances[i % 3].handle(stream, { type: 'Count', data: { by: 1, at: `t${i}` } }, context(randomUUID()))));
    expect((await instances[0].load(stream)).state.total).toBe(12);
    expect(await store.readStream(stream)).toHaveLength(12);
  });

  it('applies one command id once across instances, and the one that lost reports what is stored', async () => {
    const stream = `counter-${randomUUID()}`;
    const [one, two] = [new AggregateStore(store, counter), new AggregateStore(store, counter)];
    const commandId = randomUUID();
    // The same command decided twice with different clocks, as two instances sweeping at once would.
    const results = await Promise.all([
      one.handle(stream, { type: 'Count', data: { by: 5, at: 'first' } }, context(commandId)),
      two.handle(stream, { type: 'Count', data: { by: 5, at: 'second' } }, context(commandId)),
    ]);
    expect(await store.readStream(stream)).toHaveLength(1);
    const [applied] = results.filter((r) => !r.alreadyApplied);
    const [lost] = results.filter((r) => r.alreadyApplied);
    expect(applied.events).toHaveLength(1);
    expect(lost.events).toEqual([]);
    expect(lost.state).toEqual(applied.state);
    expect((await two.load(stream)).state).toEqual((await one.load(stream)).state);
  });

  it('one command may append to two streams: each gets its events, and a re-run applies neither twice', async () => {
    const [from, to] = [`counter-${randomUUID()}`, `counter-${randomUUID()}`];
    const aggregates = new AggregateStore(store, counter);
    const transfer = context(randomUUID());
    const debit = await aggregates.handle(from, { type: 'Count', data: { by: -3, at: 'debit' } }, transfer);
    const credit = await aggregates.handle(to, { type: 'Count', data: { by: 3, at: 'credit' } }, transfer);
    expect([debit.alreadyApplied, credit.alreadyApplied]).toEqual([false, false]);
    expect((await store.readStream(from)).map((e) => e.data)).toEqual([{ by: -3, at: 'debit' }]);
    expect((await store.readStream(to)).map((e) => e.data)).toEqual([{ by: 3, at: 'credit' }]);

    // The command re-run by a fresh instance (a retry after a crash) recognises both appends.
    const fresh = new AggregateStore(store, counter);
    expect((await fresh.handle(from, { type: 'Count', data: { by: -3, at: 'debit' } }, transfer)).alreadyApplied).toBe(true);
    expect((await fresh.handle(to, { type: 'Count', data: { by: 3, at: 'credit' } }, transfer)).alreadyApplied).toBe(true);
    expect(await store.readStream(to)).toHaveLength(1);
  });
});
