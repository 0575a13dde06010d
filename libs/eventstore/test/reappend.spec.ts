import { randomUUID } from 'node:crypto';
import { classifyReappend, sameJson, type NewEvent, type StoredForReappend } from '../src';

/**
 * The re-append rule as the EventStoreDB adapter applies it (the Postgres store applies the same rule
 * in SQL; the contract suite holds both to it against real servers).
 */
describe('classifyReappend', () => {
  const commandId = randomUUID();
  const event = (type: string, data: unknown): NewEvent => ({ id: randomUUID(), type, data, metadata: { correlationId: 'c', commandId, actor: 't', time: 't' } });
  const batch = [event('A', { n: 1, tags: ['x'] }), event('B', { n: 2 })];
  const storedAt = (first: number, events = batch, stream = 's', batchInfo: StoredForReappend['batch'] | undefined = undefined) =>
    new Map(
      events.map((e, i) => [
        e.id,
        { stream, revision: first + i, position: 100 + i, type: e.type, data: e.data, commandId, batch: batchInfo === undefined ? { firstRevision: first, size: events.length } : batchInfo },
      ]),
    );

  it('finds a batch none of whose ids are stored new', () => {
    expect(classifyReappend('s', [event('C', {})], storedAt(1))).toEqual({ kind: 'new' });
  });
  it('finds the very batch a duplicate, with its last revision and position', () => {
    expect(classifyReappend('s', batch, storedAt(1))).toEqual({ kind: 'duplicate', revision: 2, position: 101 });
  });
  it('compares data as JSON values', () => {
    expect(classifyReappend('s', [batch[0], { ...batch[1], data: { n: 2, extra: undefined } }], storedAt(1)).kind).toBe('duplicate');
  });
  it.each([
    ['a subset', () => [batch[1]]],
    ['the first event alone', () => [batch[0]]],
    ['a reorder', () => [batch[1], batch[0]]],
    ['one more event', () => [...batch, event('C', {})]],
    ['another type', () => [batch[0], { ...batch[1], type: 'Other' }]],
    ['other data', () => [batch[0], { ...batch[1], data: { n: 3 } }]],
    ['another command id', () => [batch[0], { ...batch[1], metadata: { ...batch[1].metadata, commandId: randomUUID() } }]],
  ])('finds %s a conflict', (_what, change) => {
    expect(classifyReappend('s', change(), storedAt(1))).toEqual({ kind: 'conflict' });
  });
  it('finds the ids in another stream a conflict', () => {
    expect(classifyReappend('s', batch, storedAt(1, batch, 'other'))).toEqual({ kind: 'conflict' });
  });
  it('takes consecutive events without a recorded batch (stored before batches were recorded) as the batch', () => {
    expect(classifyReappend('s', batch, storedAt(1, batch, 's', null)).kind).toBe('duplicate');
  });
});

describe('sameJson', () => {
  it.each([
    [{ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 }, true],
    [{ a: 1 }, { a: 1, b: 2 }, false],
    [[1, 2], [2, 1], false],
    [null, undefined, true],
    [{ a: '1' }, { a: 1 }, false],
    [[], {}, false],
  ])('%j vs %j -> %s', (a, b, same) => expect(sameJson(a, b)).toBe(same));
});
