import { randomUUID } from 'node:crypto';
import type { ResolvedEvent } from '@eventstore/db-client';
import { StreamIdIndex } from '../src';

/** A stream as EventStoreDB would hand it out, and a record of which revisions were asked for. */
const fakeStream = () => {
  const events: { id: string; revision: bigint }[] = [];
  const reads: number[] = [];
  return {
    add: (n: number) => {
      for (let i = 0; i < n; i++) events.push({ id: randomUUID(), revision: BigInt(events.length) });
    },
    ids: () => events.map((e) => e.id),
    reads,
    readFrom: async (from: number) => {
      reads.push(from);
      return events.slice(from).map((event) => ({ event }) as unknown as ResolvedEvent);
    },
  };
};

describe('StreamIdIndex (the EventStoreDB adapter knows which ids a stream holds)', () => {
  it('reads a stream once, then only what was appended after the last event it saw', async () => {
    const index = new StreamIdIndex();
    const s = fakeStream();
    s.add(3);
    expect((await index.catchUp('s', s.readFrom)).revision).toBe(2);
    s.add(2);
    const known = await index.catchUp('s', s.readFrom);
    expect(known.revision).toBe(4);
    expect([...known.ids.keys()]).toEqual(s.ids());
    expect(s.reads).toEqual([0, 3]);
  });

  it('takes what this process wrote without reading it back, unless the stream moved in between', async () => {
    const index = new StreamIdIndex();
    const s = fakeStream();
    s.add(1);
    await index.catchUp('s', s.readFrom);
    const mine = [{ id: randomUUID() }, { id: randomUUID() }];
    index.record('s', mine, 1);
    const known = await index.catchUp('s', s.readFrom);
    expect(known.ids.get(mine[1].id)).toBe(2);
    expect(s.reads).toEqual([0, 3]);

    index.record('s', [{ id: randomUUID() }], 7); // not right after what it knows: forgotten, read again
    await index.catchUp('s', s.readFrom);
    expect(s.reads).toEqual([0, 3, 0]);
  });

  it('keeps at most the given number of ids, dropping the streams used longest ago', async () => {
    const index = new StreamIdIndex(5);
    const [a, b] = [fakeStream(), fakeStream()];
    a.add(3);
    b.add(3);
    await index.catchUp('a', a.readFrom);
    await index.catchUp('b', b.readFrom); // 6 ids > 5: a goes
    await index.catchUp('b', b.readFrom);
    await index.catchUp('a', a.readFrom);
    expect(a.reads).toEqual([0, 0]);
    expect(b.reads).toEqual([0, 3]);
  });
});
