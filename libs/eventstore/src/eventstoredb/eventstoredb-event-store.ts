import { randomUUID } from 'node:crypto';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  NO_STREAM,
  START,
  StreamNotFoundError as EsdbStreamNotFoundError,
  WrongExpectedVersionError,
  eventTypeFilter,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamSubscription,
  type ResolvedEvent,
} from '@eventstore/db-client';
import { validateAppend } from '../append-validation';
import type {
  AppendResult,
  EventBatchHandler,
  EventFilter,
  EventStore,
  EventSubscription,
  ExpectedRevision,
  NewEvent,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
} from '../event-store';
import { EventIdConflictError, StreamNotFoundError, WrongExpectedRevisionError } from '../errors';
import { classifyReappend, type StoredForReappend } from '../reappend';
import { StreamIdIndex } from './stream-id-index';

/** Our global position is EventStoreDB's commit position (unique per event for single-stream appends). */
const toPosition = (p: number | null) => (p === null ? START : { commit: BigInt(p), prepare: BigInt(p) });

/**
 * Kept beside our metadata in EventStoreDB and never shown to readers: which append wrote the event
 * (so only the very batch is a duplicate, as in the Postgres store) and a token of that call (so the
 * adapter knows whether it wrote the events it reads back, or EventStoreDB deduplicated them by id).
 */
const APPEND_KEY = '$append';
interface AppendMark {
  firstRevision: number;
  size: number;
  token: string;
}

const markOf = (metadata: unknown): AppendMark | null => ((metadata as Record<string, unknown> | null)?.[APPEND_KEY] as AppendMark | undefined) ?? null;

const toRecorded = (resolved: ResolvedEvent): RecordedEvent | null => {
  const e = resolved.event;
  if (!e || e.type.startsWith('$') || e.streamId.startsWith('$')) return null;
  const { [APPEND_KEY]: _mark, ...metadata } = (e.metadata ?? {}) as Record<string, unknown>;
  return {
    id: e.id,
    type: e.type,
    stream: e.streamId,
    revision: Number(e.revision),
    position: Number(e.position?.commit ?? -1n),
    data: e.data,
    metadata: metadata as unknown as RecordedEvent['metadata'],
    recordedAt: e.created.toISOString(),
  };
};

const storedForReappend = (resolved: ResolvedEvent): StoredForReappend | null => {
  const event = toRecorded(resolved);
  if (!event) return null;
  const mark = markOf(resolved.event!.metadata);
  return {
    stream: event.stream,
    revision: event.revision,
    position: event.position,
    type: event.type,
    data: event.data,
    commandId: event.metadata.commandId ?? null,
    batch: mark ? { firstRevision: mark.firstRevision, size: mark.size } : null,
  };
};

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An exact match of the types; `(?!)` matches nothing. */
const typesRegex = (types: readonly string[]) => (types.length ? `^(?:${types.map(escapeRegex).join('|')})$` : '(?!)');

const expectationHolds = (expected: ExpectedRevision, current: number | null) =>
  expected === 'any' || (expected === 'no_stream' ? current === null : expected === 'stream_exists' ? current !== null : current === expected);

/** A stream that another writer moved between this adapter's check and its append: check again. */
const MAX_APPEND_ATTEMPTS = 5;

/**
 * The EventStore port on EventStoreDB. EventStoreDB deduplicates appends by event id alone and only
 * near the expected revision, so the adapter applies the store's own rule (libs/eventstore/src/reappend.ts):
 * it keeps, per stream, which ids are stored at which revision (read incrementally), classifies a
 * batch before appending, always appends with the exact revision it checked against, and reads the
 * written events back to tell its own write from one EventStoreDB deduplicated. That is three round
 * trips per append where the Postgres store needs one. EventStoreDB has no store-wide index of event
 * ids, so an id stored in another stream is not detected (see the contract suite's traits).
 */
export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventSubscription>();
  private readonly ids = new StreamIdIndex();

  constructor(private readonly client: EventStoreDBClient) {}

  static connect(connectionString: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
  }

  async append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    validateAppend(stream, events);
    for (let attempt = 1; ; attempt++) {
      const known = await this.ids.catchUp(stream, (fromRevision) => this.readStreamRaw(stream, fromRevision));
      const found = events.filter((e) => known.ids.has(e.id.toLowerCase()));
      if (found.length) return this.answerReappend(stream, events, known.ids);
      const current = known.revision;
      if (!expectationHolds(expectedRevision, current)) throw new WrongExpectedRevisionError(stream, expectedRevision, current);
      if (events.length === 0) return { nextExpectedRevision: current ?? -1, position: -1 };

      const mark: AppendMark = { firstRevision: (current ?? -1) + 1, size: events.length, token: randomUUID() };
      try {
        const result = await this.client.appendToStream(
          stream,
          events.map((e) =>
            jsonEvent({ id: e.id, type: e.type, data: (e.data ?? null) as never, metadata: { ...e.metadata, [APPEND_KEY]: mark } as never }),
          ),
          // Exactly the revision checked above, so nobody's events can slip in between unnoticed.
          { expectedRevision: current === null ? NO_STREAM : BigInt(current) },
        );
        const written = await this.readStreamRaw(stream, mark.firstRevision, events.length);
        if (written.length === events.length && written.every((r) => markOf(r.event?.metadata)?.token === mark.token)) {
          this.ids.record(stream, events, mark.firstRevision);
          return { nextExpectedRevision: Number(result.nextExpectedRevision), position: Number(result.position?.commit ?? -1n) };
        }
        // EventStoreDB answered success without writing: another writer stored these ids right
        // after our check. Classify against what it stored.
        this.ids.forget(stream);
        continue;
      } catch (error) {
        if (error instanceof WrongExpectedVersionError && attempt < MAX_APPEND_ATTEMPTS) continue;
        if (error instanceof WrongExpectedVersionError) {
          const actual = error.actualVersion === 'no_stream' ? null : Number(error.actualVersion);
          throw new WrongExpectedRevisionError(stream, expectedRevision, actual);
        }
        throw error;
      }
    }
  }

  private async answerReappend(stream: string, events: NewEvent[], ids: ReadonlyMap<string, number>): Promise<AppendResult> {
    const revisions = events.map((e) => ids.get(e.id.toLowerCase())).filter((r): r is number => r !== undefined);
    const from = Math.min(...revisions);
    const stored = new Map<string, StoredForReappend>();
    for (const resolved of await this.readStreamRaw(stream, from, Math.max(...revisions) - from + 1)) {
      const info = storedForReappend(resolved);
      if (info) stored.set(resolved.event!.id.toLowerCase(), info);
    }
    const verdict = classifyReappend(stream, events, stored);
    if (verdict.kind !== 'duplicate') throw new EventIdConflictError(stream);
    return { nextExpectedRevision: verdict.revision, position: verdict.position, duplicate: true };
  }

  /** Resolved events of the stream from a revision (no system events filtered); empty when the stream is missing. */
  private async readStreamRaw(stream: string, fromRevision: number, maxCount?: number): Promise<ResolvedEvent[]> {
    const out: ResolvedEvent[] = [];
    try {
      const reading = this.client.readStream(stream, {
        direction: FORWARDS,
        fromRevision: fromRevision ? BigInt(fromRevision) : START,
        ...(maxCount ? { maxCount: BigInt(maxCount) } : {}),
      });
      for await (const resolved of reading) out.push(resolved);
    } catch (error) {
      if (error instanceof EsdbStreamNotFoundError) return [];
      throw error;
    }
    return out;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const resolved = await this.readStreamRaw(stream, options.fromRevision ?? 0, options.maxCount);
    if (resolved.length === 0 && !options.fromRevision) throw new StreamNotFoundError(stream);
    return resolved.map(toRecorded).filter((e): e is RecordedEvent => e !== null);
  }

  /** One page of $all after a position: the events, and whether the log may go on past it. */
  private async readAllPage(after: number | null, maxCount: number): Promise<{ events: RecordedEvent[]; more: boolean; last: number | null }> {
    const events: RecordedEvent[] = [];
    let raw = 0;
    let last = after;
    // readAll's fromPosition is inclusive: ask for one more and drop the event at `after`.
    for await (const resolved of this.client.readAll({ direction: FORWARDS, fromPosition: toPosition(after), maxCount: BigInt(maxCount + 1) })) {
      raw++;
      const commit = resolved.event?.position?.commit;
      if (commit !== undefined && (after === null || Number(commit) > after)) last = Number(commit);
      const event = toRecorded(resolved);
      if (event && (after === null || event.position > after)) events.push(event);
    }
    return { events, more: raw === maxCount + 1, last };
  }

  async readAll({ after, maxCount, filter }: ReadAllOptions): Promise<RecordedEvent[]> {
    if (!filter) return (await this.readAllPage(after, maxCount)).events.slice(0, maxCount);
    // This client cannot filter a read of $all on the server (only subscriptions): filter here.
    const types = new Set(filter.types);
    const out: RecordedEvent[] = [];
    if (types.size === 0) return out;
    for (let from = after; ; ) {
      const page = await this.readAllPage(from, Math.max(maxCount, 500));
      for (const event of page.events) {
        if (!types.has(event.type)) continue;
        out.push(event);
        if (out.length === maxCount) return out;
      }
      if (!page.more || page.last === from) return out;
      from = page.last;
    }
  }

  async headPosition(filter?: EventFilter): Promise<number | null> {
    const types = filter ? new Set(filter.types) : null;
    if (types && types.size === 0) return null;
    // Backwards from the end, a page at a time, until an event of ours (of the asked types) shows up.
    let from: typeof END | { commit: bigint; prepare: bigint } = END;
    let below: bigint | null = null;
    for (;;) {
      let fresh = 0;
      const page: AsyncIterable<ResolvedEvent> = this.client.readAll({ direction: BACKWARDS, fromPosition: from, maxCount: 500n });
      for await (const resolved of page) {
        const position: { commit: bigint; prepare: bigint } | undefined = resolved.event?.position;
        // Whether a backwards read includes its start position or not: skip what the last page saw.
        if (!position || (below !== null && position.commit >= below)) continue;
        fresh++;
        from = { commit: position.commit, prepare: position.prepare };
        below = position.commit;
        const event = toRecorded(resolved);
        if (event && (!types || types.has(event.type))) return event.position;
      }
      if (fresh === 0) return null;
    }
  }

  subscribeToAll(options: SubscribeOptions, handler: EventBatchHandler): EventSubscription {
    const source: AllStreamSubscription = this.client.subscribeToAll({
      fromPosition: toPosition(options.after),
      // Filtered on the server: only the wanted types travel.
      filter: options.filter ? eventTypeFilter({ regex: typesRegex(options.filter.types) }) : excludeSystemEvents(),
    });
    const wanted = options.filter ? new Set(options.filter.types) : null;
    let position = options.after;
    const done = (async () => {
      for await (const resolved of source) {
        const event = toRecorded(resolved);
        if (!event || (position !== null && event.position <= position) || (wanted && !wanted.has(event.type))) continue;
        await handler([event]);
        position = event.position;
      }
    })();
    done.catch(() => source.unsubscribe().catch(() => undefined));
    const subscription: EventSubscription = {
      get position() {
        return position;
      },
      done,
      stop: async () => {
        await source.unsubscribe();
        await done.catch(() => undefined);
      },
    };
    this.subscriptions.add(subscription);
    // An ended subscription (stopped, or its handler failed) leaves the set, so long-lived stores do not collect them.
    done.finally(() => this.subscriptions.delete(subscription)).catch(() => undefined);
    return subscription;
  }

  async close() {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.client.dispose();
  }
}

