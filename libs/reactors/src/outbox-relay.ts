import { isTransientError, type AutocoderError } from '@autocoder/contracts';
import type { EventStore, RecordedEvent } from '@autocoder/eventstore';
import type { MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { Pool } from 'pg';
import type { ReactionContext } from './reaction-context';
import { Reactor, type Reactions } from './reactor';

type DomainEvent = { type: string; data: unknown };

/** What an outbox event asks of another service, and what to record when it has answered. */
export interface OutboxRoute<Ev extends DomainEvent, Answer = unknown> {
  message(event: RecordedEvent<Ev['type'], Ev['data']>): { subject: string; payload: unknown; timeoutMs?: number };
  /** The receiver answered: record what follows, through the command log, with `context.envelope`. */
  delivered?(answer: Answer, event: RecordedEvent<Ev['type'], Ev['data']>, context: ReactionContext): Promise<void>;
  /** The receiver decided against it (a domain error): record that; the message is not sent again. */
  refused?(error: AutocoderError, event: RecordedEvent<Ev['type'], Ev['data']>, context: ReactionContext): Promise<void>;
}

export type OutboxRoutes<E extends DomainEvent> = { [K in E['type']]?: OutboxRoute<Extract<E, { type: K }>> };

export interface OutboxRelayOptions<E extends DomainEvent> {
  name: string;
  store: EventStore;
  pool: Pool;
  schema: string;
  bus: MessageBus;
  logger: Logger;
  routes: OutboxRoutes<E>;
  leaseMs?: number;
  retry?: { minMs: number; maxMs: number };
}

/**
 * The outbox: a service that must tell another one something records the message as an event, in the
 * same append as the decision that calls for it (so there is no dual write), and this relay delivers
 * it. The command id of the delivery follows from the event, so a delivery repeated after a crash is
 * answered by the receiver's command log with the first answer and applied once. Transient failures
 * (no answer, a crash on the other side) are retried; a refusal is final and handed to `refused`.
 */
export function outboxRelay<E extends DomainEvent>(options: OutboxRelayOptions<E>): Reactor<E> {
  const reactions: Record<string, (event: RecordedEvent, context: ReactionContext) => Promise<void>> = {};
  for (const [type, route] of Object.entries(options.routes) as [string, OutboxRoute<DomainEvent> | undefined][]) {
    if (!route) continue;
    reactions[type] = async (event, context) => {
      const { subject, payload, timeoutMs } = route.message(event);
      let answer: unknown;
      try {
        answer = await options.bus.request(subject, context.envelope(payload, 'deliver'), timeoutMs);
      } catch (error) {
        if (isTransientError(error)) throw error;
        const refusal = error as AutocoderError;
        if (route.refused) await route.refused(refusal, event, context);
        else options.logger.warn({ err: refusal, relay: options.name, subject, position: event.position }, 'outbox message refused by its receiver');
        return;
      }
      await route.delivered?.(answer, event, context);
    };
  }
  return new Reactor<E>({
    name: options.name,
    store: options.store,
    pool: options.pool,
    schema: options.schema,
    logger: options.logger,
    reactions: reactions as unknown as Reactions<E>,
    leaseMs: options.leaseMs,
    retry: options.retry,
  });
}
