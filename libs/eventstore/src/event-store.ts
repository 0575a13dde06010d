/** The one port every event store adapter implements (Postgres, EventStoreDB). */

export interface EventMetadata {
  correlationId: string;
  causationId?: string | null;
  /** The command that produced the event; lets a retried command see it was applied already. */
  commandId?: string | null;
  /** Who acted, e.g. `admin`, `agent:<id>`, `system:coordinator`. */
  actor: string;
  /** When the decision was made (ISO 8601, UTC). */
  time: string;
}

export interface NewEvent<Type extends string = string, Data = unknown> {
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data = unknown> extends NewEvent<Type, Data> {
  stream: string;
  /** Zero-based position of the event within its stream. */
  revision: number;
  /** Position in the store-wide order; strictly increasing in the order subscribers see events. */
  position: number;
  recordedAt: string;
}

/**
 * `no_stream`: the stream must not exist; `stream_exists`: it must; `any`: no check;
 * a number: the revision of the stream's last event must be exactly this.
 */
export type ExpectedRevision = 'no_stream' | 'stream_exists' | 'any' | number;

export interface AppendResult {
  /** Revision of the stream's last event after the append: the next expected revision. */
  nextExpectedRevision: number;
  /** Global position of the last appended event. */
  position: number;
  /** True when every event was already stored by an earlier append of the same ids: nothing was written. */
  duplicate?: boolean;
}

export interface ReadStreamOptions {
  fromRevision?: number;
  maxCount?: number;
}

/** Which events a read or subscription wants; the store filters, so the rest never reaches the client. */
export interface EventFilter {
  /** Only events of these types (an empty list matches nothing). */
  types: readonly string[];
}

export interface ReadAllOptions {
  /** Read events strictly after this position; `null` reads from the very beginning. */
  after: number | null;
  maxCount: number;
  /** Only matching events, still in global order; positions of the others are simply absent. */
  filter?: EventFilter;
}

export interface SubscribeOptions {
  /** Deliver events strictly after this position; `null` starts from the very beginning. */
  after: number | null;
  /** Most events handed to the handler at once. */
  batchSize?: number;
  /** Deliver only matching events, in global order. */
  filter?: EventFilter;
}

/** Receives events in global order; the next batch comes only after the promise settles. */
export type EventBatchHandler = (events: RecordedEvent[]) => Promise<void>;

export interface EventSubscription {
  /** Position of the last event handed to the handler and settled. */
  readonly position: number | null;
  /** Settles when the subscription ends: resolves after stop(), rejects when the handler throws. */
  readonly done: Promise<void>;
  stop(): Promise<void>;
}

export interface EventStore {
  append(stream: string, events: NewEvent[], expectedRevision: ExpectedRevision): Promise<AppendResult>;
  /** Throws StreamNotFoundError when the stream holds no event. */
  readStream(stream: string, options?: ReadStreamOptions): Promise<RecordedEvent[]>;
  readAll(options: ReadAllOptions): Promise<RecordedEvent[]>;
  /**
   * Position of the last stored event (of the last matching one, with a filter); null when there is
   * none. A subscription with the same filter has delivered everything stored once it reaches it.
   */
  headPosition(filter?: EventFilter): Promise<number | null>;
  subscribeToAll(options: SubscribeOptions, handler: EventBatchHandler): EventSubscription;
  close(): Promise<void>;
}
