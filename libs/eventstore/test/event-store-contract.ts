import { randomUUID } from 'node:crypto';
import {
  EventIdConflictError,
  StreamNotFoundError,
  WrongExpectedRevisionError,
  type EventFilter,
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
async function collect(
  store: EventStore,
  after: number | null,
  until: (seen: RecordedEvent[]) => boolean,
  timeoutMs = 60000,
  filter?: EventFilter,
  batchSize?: number,
) {
  const seen: RecordedEvent[] = [];
  let resolveDone!: () => void;
  const reached = new Promise<void>((resolve) => (resolveDone = resolve));
  const subscription = store.subscribeToAll({ after, filter, batchSize }, async (batch) => {
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

export interface ContractTraits {
  /** An event id stored in one stream is refused in every other stream (the Postgres store's unique index). */
  eventIdsUniqueAcrossStreams: boolean;
}

/** One behavioural suite every event store adapter must pass. */
export function eventStoreContract(open: () => Promise<ContractHarness>, traits: ContractTraits = { eventIdsUniqueAcrossStreams: true }) {
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

  describe('re-appending stored event ids', () => {
    // "The same batch": the same ids, in this stream, at consecutive revisions in this order, with
    // the same type, data (compared as JSON values: key order does not matter) and metadata.commandId.
    const withCommand = (e: NewEvent, commandId: string | null): NewEvent => ({ ...e, metadata: { ...e.metadata, commandId } });
    const stored = async () => {
      const stream = streamName('idem');
      const commandId = randomUUID();
      const batch = [withCommand(event('A', { n: 1, tags: ['x'] }), commandId), withCommand(event('B', { n: 2 }), commandId)];
      await store.append(stream, [event('Before')], 'no_stream');
      const first = await store.append(stream, batch, 0);
      return { stream, batch, first, commandId };
    };
    const unchanged = async (stream: string) => expect((await store.readStream(stream)).map((e) => e.type)).toEqual(['Before', 'A', 'B']);

    it('answers the very batch already stored as a duplicate with its revision and position, whatever the expected revision', async () => {
      const { stream, batch, first } = await stored();
      for (const expected of [0, 'any', 'stream_exists', 'no_stream', 7] as const) {
        const again = await store.append(stream, batch, expected);
        expect(again).toEqual({ nextExpectedRevision: first.nextExpectedRevision, position: first.position, duplicate: true });
      }
      expect(first.duplicate).toBeFalsy();
      await unchanged(stream);
    });

    it('compares data as JSON values and ignores the rest of the metadata (a retry has another time and correlation)', async () => {
      const { stream, batch, first } = await stored();
      const retried = batch.map((e) => ({
        ...e,
        data: Object.fromEntries(Object.entries(e.data as object).reverse()),
        metadata: { ...e.metadata, correlationId: randomUUID(), time: new Date(Date.now() + 1000).toISOString() },
      }));
      expect(await store.append(stream, retried, 'any')).toMatchObject({ position: first.position, duplicate: true });
      await unchanged(stream);
    });

    const conflicts: [string, (batch: NewEvent[], commandId: string) => NewEvent[]][] = [
      ['a subset of it', (batch) => [batch[1]]],
      ['its first event alone', (batch) => [batch[0]]],
      ['it reordered', (batch) => [batch[1], batch[0]]],
      ['it with one more event', (batch) => [...batch, event('C')]],
      ['a new event before it', (batch) => [event('C'), ...batch]],
      ['its ids with another type', (batch) => [batch[0], { ...batch[1], type: 'Other' }]],
      ['its ids with other data', (batch) => [batch[0], { ...batch[1], data: { n: 3 } }]],
      ['its ids with another command id', (batch) => [batch[0], withCommand(batch[1], randomUUID())]],
      ['its ids without a command id', (batch) => batch.map((e) => withCommand(e, null))],
    ];
    for (const [what, change] of conflicts) {
      it(`refuses ${what} with EVENT_ID_CONFLICT and writes nothing`, async () => {
        const { stream, batch, commandId } = await stored();
        const attempt = store.append(stream, change(batch, commandId), 'any');
        await expect(attempt).rejects.toBeInstanceOf(EventIdConflictError);
        await expect(attempt).rejects.toMatchObject({ code: 'EVENT_ID_CONFLICT', stream });
        await unchanged(stream);
      });
    }

    // EventStoreDB keeps no store-wide index of event ids, so only stores that have one promise this.
    (traits.eventIdsUniqueAcrossStreams ? it : it.skip)('refuses stored ids appended to another stream', async () => {
      const { batch } = await stored();
      const other = streamName('idem-other');
      await expect(store.append(other, batch, 'any')).rejects.toMatchObject({ code: 'EVENT_ID_CONFLICT' });
      await expect(store.readStream(other)).rejects.toBeInstanceOf(StreamNotFoundError);
    });

    it('refuses one id twice in a batch before writing anything, naming the repeated event', async () => {
      const stream = streamName('twice');
      const a = event('A');
      const attempt = store.append(stream, [a, event('B'), { ...event('C'), id: a.id }], 'no_stream');
      await expect(attempt).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: 'events[2].id', message: expect.stringContaining('events[0]') }],
      });
      await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
      // Nothing half-done stands in the way of the corrected batch.
      expect((await store.append(stream, [a, event('B')], 'no_stream')).nextExpectedRevision).toBe(1);
    });

    it('refuses an event id that is not a UUID before writing anything', async () => {
      const stream = streamName('badid');
      await expect(store.append(stream, [event('A'), { ...event('B'), id: 'not-a-uuid' }], 'no_stream')).rejects.toMatchObject({
        code: 'VALIDATION_FAILED',
        details: [{ path: 'events[1].id' }],
      });
      await expect(store.readStream(stream)).rejects.toBeInstanceOf(StreamNotFoundError);
    });
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

  describe('filtered by event type', () => {
    /** Three interleaved types of this test's own, over several streams, plus other events between them. */
    const fill = async () => {
      const tag = randomUUID().slice(0, 8);
      const [one, two, other] = [`One-${tag}`, `Two-${tag}`, `Other-${tag}`];
      const before = await store.headPosition();
      for (let i = 0; i < 12; i++) {
        const types = [i % 3 === 0 ? one : other, i % 4 === 0 ? two : other, other];
        await store.append(`${i % 2 ? 'left' : 'right'}-${tag}-${i}`, types.map((t) => event(t, { i })), 'no_stream');
      }
      const mine = (await store.readAll({ after: before, maxCount: 10_000 })).filter((e) => e.type.endsWith(tag));
      return { one, two, other, before, mine };
    };

    it('reads only the asked types, in global order, none missing, page by page', async () => {
      const { one, two, before, mine } = await fill();
      const expected = mine.filter((e) => e.type === one || e.type === two);
      expect(expected.length).toBe(7);
      const pages: RecordedEvent[][] = [];
      for (let after = before; ; ) {
        const page = await store.readAll({ after, maxCount: 3, filter: { types: [one, two] } });
        if (page.length === 0) break;
        pages.push(page);
        after = page[page.length - 1].position;
      }
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(pages.flat().map((e) => e.id)).toEqual(expected.map((e) => e.id));
      expect(await store.readAll({ after: before, maxCount: 10, filter: { types: [] } })).toEqual([]);
    });

    it('subscribes to only the asked types, in order, none missing, and follows new ones', async () => {
      const { one, two, before, mine } = await fill();
      const expected = mine.filter((e) => e.type === one || e.type === two).map((e) => e.id);
      const filter = { types: [one, two] };
      const caughtUp = await collect(store, before, (seen) => seen.length >= expected.length, 60_000, filter, 2);
      expect(caughtUp.seen.map((e) => e.id)).toEqual(expected);

      const live = collect(store, caughtUp.position, (seen) => seen.length >= 2, 60_000, filter);
      await store.append(`late-${randomUUID()}`, [event('Unrelated'), event(two, { late: 1 }), event(one, { late: 2 })], 'no_stream');
      const { seen } = await live;
      expect(seen.map((e) => [e.type, e.data])).toEqual([
        [two, { late: 1 }],
        [one, { late: 2 }],
      ]);
    });

    it('tells the head position: of the whole store, and of the last event of the asked types', async () => {
      const { one, two, other, mine } = await fill();
      expect(await store.headPosition()).toBe(mine[mine.length - 1].position);
      expect(await store.headPosition({ types: [one] })).toBe(mine.filter((e) => e.type === one).at(-1)!.position);
      expect(await store.headPosition({ types: [one, two] })).toBe(mine.filter((e) => e.type === one || e.type === two).at(-1)!.position);
      expect(await store.headPosition({ types: [other, 'NeverStored'] })).toBe(mine[mine.length - 1].position);
      expect(await store.headPosition({ types: [`NeverStored-${randomUUID()}`] })).toBeNull();
      expect(await store.headPosition({ types: [] })).toBeNull();
    });
  });
}
