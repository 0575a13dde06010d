import { randomUUID } from 'node:crypto';
import {
  EventIdConflictError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
  type EventStore,
  type NewEvent,
  type RecordedEvent,
} from '../src';

export interface ContractHarness {
  store: EventStore;
  /** Another store on its own connections, as a second process would have. */
  secondStore(): Promise<EventStore>;
  close(): Promise<void>;
}

const event = (type: string, data: unknown = {}, id = randomUUID()): NewEvent => ({
  id,
  type,
  data,
  metadata: { correlationId: randomUUID(), causationId: null, actor: 'test', time: new Date().toISOString() },
});

const streamName = (prefix: string) => `${prefix}-${randomUUID()}`;

/** Follows the store from `after` until `until` returns true, collecting what it saw. */
async function collect(store: EventStore, after: number | null, until: (seen: RecordedEvent[]) => boolean, timeoutMs = 60000) {
  const seen: RecordedEvent[] = [];
  let resolveDone!: () => void;
  const reached = new Promise<void>((resolve) => (resolveDone = resolve));
  const subscription = store.subscribeToAll({ after }, async (batch) => {
    seen.push(...batch);
    if (until(seen)) resolveDone();
  });
  let timeout: NodeJS.Timeout | undefined;
  const timer = new Promise<never>((_, reject) => {
    timeout = setTimeout(() => reject(new Error(`subscription saw ${seen.length} events before timing out`)), timeoutMs);
  });
  try {
    await Promise.race([reached, timer, subscription.done.then(() => Promise.reject(new Error('subscription ended early')))]);
  } finally {
    clearTimeout(timeout);
    await subscription.stop();
  }
  return { seen, position: subscription.position };
}

/** One behavioural suite every event store adapter must pass. */
export function eventStoreContract(open: () => Promise<ContractHarness>) {
  let harness: ContractHarness;
  let store: EventStore;

  // Creating an embedded database on a busy machine can take a while.
  beforeAll(async () => {
    harness = await open();
    store = harness.store;
  }, 180_000);
  afterAll(async () => harness?.close());

  it('appends to a new stream and reads back the whole envelope', async () => {
    const stream = streamName('order');
    const first = event('OrderPlaced', { total: 42, items: ['a'] });
    const result = await store.append(stream, [first, event('OrderPaid')], 'no_stream');
    expect(result.nextExpectedRevision).toBe(1);

    const read = await store.readStream(stream);
    expect(read.map((e) => [e.type, e.revision])).toEqual([
      ['OrderPlaced', 0],
      ['OrderPaid', 1],
    ]);
    expect(read[0]).toMatchObject({ id: first.id, stream, data: { total: 42, items: ['a'] }, metadata: first.metadata });
    expect(read[1].position).toBe(result.position);
    expect(read[1].position).toBeGreaterThan(read[0].position);
    expect(Date.parse(read[0].recordedAt)).not.toBeNaN();
  });

  it('reads a stream from a revision', async () => {
    const stream = streamName('page');
    await store.append(stream, [event('A'), event('B'), event('C')], 'no_stream');
    expect((await store.readStream(stream, { fromRevision: 1 })).map((e) => e.type)).toEqual(['B', 'C']);
    expect(await store.readStream(stream, { fromRevision: 3 })).toEqual([]);
  });

  it('reports a missing stream with a typed error', async () => {
    const stream = streamName('missing');
    await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
  });

  it('checks every kind of expected revision and appends nothing on a mismatch', async () => {
    const stream = streamName('acct');
    await expect(store.append(stream, [event('X')], 'stream_exists')).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await expect(store.append(stream, [event('X')], 0)).rejects.toBeInstanceOf(WrongExpectedRevisionError);
    await store.append(stream, [event('Opened')], 'no_stream');

    const conflict = store.append(stream, [event('X')], 'no_stream');
    await expect(conflict).rejects.toMatchObject({ code: 'WRONG_EXPECTED_REVISION', actual: 0, expected: 'no_stream' });
    await expect(store.append(stream, [event('X')], 5)).rejects.toMatchObject({ actual: 0, expected: 5 });

    await store.append(stream, [event('Deposited')], 0);
    await store.append(stream, [event('Deposited')], 'stream_exists');
    await store.append(stream, [event('Deposited')], 'any');
    expect((await store.readStream(stream)).map((e) => e.revision)).toEqual([0, 1, 2, 3]);
  });

  it('lets exactly one of two writers with the same expected revision win', async () => {
    const other = await harness.secondStore();
    try {
      for (let round = 0; round < 10; round++) {
        const stream = streamName('race');
        await store.append(stream, [event('Created')], 'no_stream');
        const outcomes = await Promise.allSettled([
          store.append(stream, [event('ByOne')], 0),
          other.append(stream, [event('ByTwo')], 0),
        ]);
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const loser = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
        expect(loser.reason).toBeInstanceOf(WrongExpectedRevisionError);
        expect(await store.readStream(stream)).toHaveLength(2);
      }
    } finally {
      await other.close();
    }
  });

  it('treats a re-append of stored event ids as a no-op, and a partial one as a conflict', async () => {
    const stream = streamName('idem');
    const batch = [event('A'), event('B')];
    const first = await store.append(stream, batch, 'no_stream');
    const again = await store.append(stream, batch, 'no_stream');
    expect({ nextExpectedRevision: again.nextExpectedRevision, position: again.position }).toEqual(first);
    const onceMore = await store.append(stream, batch, 'any');
    expect(onceMore.nextExpectedRevision).toBe(1);
    expect(await store.readStream(stream)).toHaveLength(2);

    await expect(store.append(stream, [batch[0], event('C')], 1)).rejects.toBeInstanceOf(EventIdConflictError);
    expect(await store.readStream(stream)).toHaveLength(2);
  });

  it('delivers every event of 20 concurrent writers x 500 events once each, in order, while they write', async () => {
    const writers = 20;
    const perWriter = 500;
    const tag = randomUUID();
    const [startAfter] = [(await store.readAll({ after: null, maxCount: 1_000_000 })).at(-1)?.position ?? null];
    const others = await Promise.all(Array.from({ length: 3 }, () => harness.secondStore()));
    const stores = [store, ...others];

    const mine = (e: RecordedEvent) => e.stream.startsWith(`load-${tag}`);
    const following = collect(store, startAfter, (seen) => seen.filter(mine).length >= writers * perWriter, 240000);
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const target = stores[w % stores.length];
        const stream = `load-${tag}-${w}`;
        for (let i = 0; i < perWriter; i++) {
          await target.append(stream, [event('Loaded', { w, i })], i === 0 ? 'no_stream' : i - 1);
        }
      }),
    );
    const { seen } = await following;
    await Promise.all(others.map((o) => o.close()));

    const positions = seen.map((e) => e.position);
    for (let i = 1; i < positions.length; i++) expect(positions[i]).toBeGreaterThan(positions[i - 1]);
    const loaded = seen.filter(mine);
    expect(loaded).toHaveLength(writers * perWriter);
    expect(new Set(loaded.map((e) => e.id)).size).toBe(writers * perWriter);
    for (let w = 0; w < writers; w++) {
      const revisions = loaded.filter((e) => e.stream === `load-${tag}-${w}`).map((e) => e.revision);
      expect(revisions).toEqual(Array.from({ length: perWriter }, (_, i) => i));
    }
  }, 300000);

  it('resumes a subscription from a saved position without losing or repeating events', async () => {
    const stream = streamName('resume');
    const before = (await store.readAll({ after: null, maxCount: 1_000_000 })).at(-1)?.position ?? null;
    await store.append(stream, [event('One'), event('Two'), event('Three')], 'no_stream');

    const ofStream = (seen: RecordedEvent[]) => seen.filter((e) => e.stream === stream);
    const firstRun = await collect(store, before, (seen) => ofStream(seen).length >= 3);
    const saved = firstRun.position;
    expect(ofStream(firstRun.seen).map((e) => e.type)).toEqual(['One', 'Two', 'Three']);

    await store.append(stream, [event('Four'), event('Five')], 2);
    const secondRun = await collect(store, saved, (seen) => ofStream(seen).length >= 2);
    expect(ofStream(secondRun.seen).map((e) => e.type)).toEqual(['Four', 'Five']);
    expect(secondRun.seen.every((e) => e.position > saved!)).toBe(true);
  });

  it('reads all events after a position in pages', async () => {
    const stream = streamName('pages');
    await store.append(stream, [event('P1'), event('P2'), event('P3')], 'no_stream');
    const all = await store.readStream(stream);
    const page = await store.readAll({ after: all[0].position, maxCount: 2 });
    expect(page.map((e) => e.id)).toEqual([all[1].id, all[2].id]);
  });
}
