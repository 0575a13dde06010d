import type { RecordedEvent } from '@autocoder/eventstore';
import type { EntityManager } from 'typeorm';

/** An event as the contracts define it: a type name and its data. */
export interface DomainEvent {
  type: string;
  data: unknown;
}

/** The recorded form of each member of a union (distributes: `Recorded<A | B>` is `Recorded<A> | Recorded<B>`). */
export type Recorded<E extends DomainEvent> = E extends DomainEvent ? RecordedEvent<E['type'], E['data']> : never;

/**
 * One handler for every event type of the union `E`, keyed by type name: a member of the union without
 * a handler fails to compile, and the types a projector reads are this map's keys, never a list kept
 * by hand. `Batch` is whatever the projection keeps while it applies one batch.
 */
export type EventHandlers<E extends DomainEvent, Batch> = {
  readonly [K in E['type']]: (event: Recorded<Extract<E, { type: K }>>, batch: Batch) => void | Promise<void>;
};

/**
 * A read model: how a batch of events changes its rows. `apply` runs inside the transaction that
 * also moves the checkpoint, so rows and checkpoint never disagree. It must depend on nothing but
 * the events and the rows, so that a rebuild from event zero gives the same rows.
 */
export interface Projection<E extends DomainEvent = DomainEvent, Change = unknown> {
  readonly name: string;
  /** Tables the projection owns (schema-qualified): emptied on rebuild. */
  readonly tables: readonly string[];
  /** The event types it handles: the store delivers only these. */
  readonly eventTypes: readonly E['type'][];
  /** Returns what changed, handed to the projector's listeners after the commit. */
  apply(events: Recorded<E>[], tx: EntityManager): Promise<Change[]>;
}

/** The type names a handler map covers, for the store's filter. */
export const eventTypesOf = <E extends DomainEvent>(handlers: EventHandlers<E, never>): E['type'][] => Object.keys(handlers) as E['type'][];

/**
 * The usual shape of a projection: load what the batch touches (`begin`), hand each event to the
 * handler of its type, then write and report what changed (`finish`).
 */
export abstract class HandlerProjection<E extends DomainEvent, Batch, Change> implements Projection<E, Change> {
  abstract readonly name: string;
  abstract readonly tables: readonly string[];
  protected abstract readonly handlers: EventHandlers<E, Batch>;

  get eventTypes(): E['type'][] {
    return eventTypesOf<E>(this.handlers as EventHandlers<E, never>);
  }

  protected abstract begin(events: Recorded<E>[], tx: EntityManager): Promise<Batch>;
  protected abstract finish(batch: Batch, tx: EntityManager): Promise<Change[]>;

  async apply(events: Recorded<E>[], tx: EntityManager): Promise<Change[]> {
    const batch = await this.begin(events, tx);
    for (const event of events) {
      const handler = (this.handlers as Record<string, ((event: Recorded<E>, batch: Batch) => void | Promise<void>) | undefined>)[event.type];
      // The store filters by these very keys; an event of another type is a bug in a store adapter.
      if (!handler) throw new Error(`projection ${this.name} has no handler for event type ${event.type} (position ${event.position})`);
      await handler(event, batch);
    }
    return this.finish(batch, tx);
  }
}
