import {
  EventStoreDBClient,
  FORWARDS,
  START,
  StreamNotFoundError as EsdbStreamNotFoundError,
  WrongExpectedVersionError,
  excludeSystemEvents,
  jsonEvent,
  type AllStreamSubscription,
  type AppendExpectedRevision,
  type ResolvedEvent,
} from '@eventstore/db-client';
import type {
  AppendResult,
  EventBatchHandler,
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

const toExpected = (r: ExpectedRevision): AppendExpectedRevision => (typeof r === 'number' ? BigInt(r) : r);

/** Our global position is EventStoreDB's commit position (unique per event for single-stream appends). */
const toPosition = (p: number | null) => (p === null ? START : { commit: BigInt(p), prepare: BigInt(p) });

const toRecorded = (resolved: ResolvedEvent): RecordedEvent | null => {
  const e = resolved.event;
  if (!e || e.type.startsWith('$') || e.streamId.startsWith('$')) return null;
  return {
    id: e.id,
    type: e.type,
    stream: e.streamId,
    revision: Number(e.revision),
    position: Number(e.position?.commit ?? -1n),
    data: e.data,
    metadata: e.metadata as unknown as RecordedEvent['metadata'],
    recordedAt: e.created.toISOString(),
  };
};

export class EventStoreDbEventStore implements EventStore {
  private readonly subscriptions = new Set<EventSubscription>();

  constructor(private readonly client: EventStoreDBClient) {}

  static connect(connectionString: string): EventStoreDbEventStore {
    return new EventStoreDbEventStore(EventStoreDBClient.connectionString(connectionString));
  }

  async append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult> {
    try {
      const result = await this.client.appendToStream(
        stream,
        events.map((e) => jsonEvent({ id: e.id, type: e.type, data: (e.data ?? null) as never, metadata: e.metadata as never })),
        { expectedRevision: toExpected(expectedRevision) },
      );
      return { nextExpectedRevision: Number(result.nextExpectedRevision), position: Number(result.position?.commit ?? -1n) };
    } catch (error) {
      if (error instanceof WrongExpectedVersionError) {
        const actual = error.actualVersion === 'no_stream' ? null : Number(error.actualVersion);
        // EventStoreDB reports a partial re-append of known event ids as a version conflict.
        if (await this.anyEventStored(stream, events)) throw new EventIdConflictError(stream);
        throw new WrongExpectedRevisionError(stream, expectedRevision, actual);
      }
      throw error;
    }
  }

  private async anyEventStored(stream: string, events: NewEvent[]) {
    const ids = new Set(events.map((e) => e.id));
    try {
      for await (const resolved of this.client.readStream(stream, { direction: FORWARDS, fromRevision: START })) {
        if (resolved.event && ids.has(resolved.event.id)) return true;
      }
    } catch (error) {
      if (error instanceof EsdbStreamNotFoundError) return false;
      throw error;
    }
    return false;
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    try {
      const reading = this.client.readStream(stream, {
        direction: FORWARDS,
        fromRevision: options.fromRevision ? BigInt(options.fromRevision) : START,
        ...(options.maxCount ? { maxCount: BigInt(options.maxCount) } : {}),
      });
      for await (const resolved of reading) {
        const event = toRecorded(resolved);
        if (event) out.push(event);
      }
    } catch (error) {
      if (error instanceof EsdbStreamNotFoundError) {
        if (options.fromRevision) return [];
        throw new StreamNotFoundError(stream);
      }
      throw error;
    }
    return out;
  }

  async readAll({ after, maxCount }: ReadAllOptions): Promise<RecordedEvent[]> {
    const out: RecordedEvent[] = [];
    // readAll's fromPosition is inclusive: ask for one more and drop the event at `after`.
    for await (const resolved of this.client.readAll({ direction: FORWARDS, fromPosition: toPosition(after), maxCount: BigInt(maxCount + 1) })) {
      const event = toRecorded(resolved);
      if (event && (after === null || event.position > after)) out.push(event);
    }
    return out.slice(0, maxCount);
  }

  subscribeToAll(options: SubscribeOptions, handler: EventBatchHandler): EventSubscription {
    const source: AllStreamSubscription = this.client.subscribeToAll({
      fromPosition: toPosition(options.after),
      filter: excludeSystemEvents(),
    });
    let position = options.after;
    const done = (async () => {
      for await (const resolved of source) {
        const event = toRecorded(resolved);
        if (!event || (position !== null && event.position <= position)) continue;
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
    return subscription;
  }

  async close() {
    await Promise.all([...this.subscriptions].map((s) => s.stop()));
    await this.client.dispose();
  }
}
