/**
 * Two tiny services for the reactor and outbox suites: a "counters" service that applies increments
 * (the receiver), and an "orders" service whose decisions ask the counters service for an increment
 * through the outbox (the sender). Real deciders, a real command log and a real event store.
 */
import { AutocoderError, ErrorCodes, actorLabel, type CommandEnvelope } from '@autocoder/contracts';
import { AggregateStore, type Decider, type EventStore } from '@autocoder/eventstore';
import { CommandLog, InProcessBroker, replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { Pool } from 'pg';
import { outboxRelay, type OutboxRelayOptions } from '../src';

export const INCREMENT = 'test.counters.cmd.increment';

type CounterEvent = { type: 'Incremented'; data: { counterId: string; by: number } };
type CounterState = { total: number };
const counterDecider: Decider<{ type: 'Increment'; data: { counterId: string; by: number } }, CounterEvent, CounterState> = {
  initialState: { total: 0 },
  decide: (command) => {
    if (command.data.by <= 0) throw new AutocoderError(ErrorCodes.ValidationFailed, `by must be positive, got ${command.data.by}`);
    return [{ type: 'Incremented', data: command.data }];
  },
  evolve: (state, event) => ({ total: state.total + event.data.by }),
};

export type OrderEvent =
  | { type: 'OrderPlaced'; data: { orderId: string; counterId: string; by: number } }
  /** The outbox message: recorded in the same append as OrderPlaced. */
  | { type: 'IncrementRequested'; data: { orderId: string; counterId: string; by: number } }
  | { type: 'IncrementConfirmed'; data: { orderId: string; total: number } }
  | { type: 'IncrementRefused'; data: { orderId: string; code: string } };
type OrderCommand =
  | { type: 'PlaceOrder'; data: { orderId: string; counterId: string; by: number } }
  | { type: 'Confirm'; data: { orderId: string; total: number } }
  | { type: 'Refuse'; data: { orderId: string; code: string } };
type OrderState = { placed: boolean; outcome: 'pending' | 'confirmed' | 'refused' };
const orderDecider: Decider<OrderCommand, OrderEvent, OrderState> = {
  initialState: { placed: false, outcome: 'pending' },
  decide: (command, state) => {
    switch (command.type) {
      case 'PlaceOrder':
        return state.placed ? [] : [{ type: 'OrderPlaced', data: command.data }, { type: 'IncrementRequested', data: command.data }];
      case 'Confirm':
        return state.outcome === 'pending' ? [{ type: 'IncrementConfirmed', data: command.data }] : [];
      case 'Refuse':
        return state.outcome === 'pending' ? [{ type: 'IncrementRefused', data: command.data }] : [];
    }
  },
  evolve: (state, event) =>
    event.type === 'OrderPlaced'
      ? { ...state, placed: true }
      : event.type === 'IncrementConfirmed'
        ? { ...state, outcome: 'confirmed' }
        : event.type === 'IncrementRefused'
          ? { ...state, outcome: 'refused' }
          : state,
};

const contextOf = (envelope: CommandEnvelope) => ({
  commandId: envelope.commandId,
  correlationId: envelope.correlationId,
  actor: actorLabel(envelope.actor),
  time: new Date().toISOString(),
});

/** The receiver: every increment request goes through its command log, as a real service's would. */
export class CountersService {
  /** Requests that reached the handler, including repeats the command log answered. */
  received = 0;
  /** Answer the next N requests with UNAVAILABLE, as a service that is restarting would. */
  failNext = 0;
  private readonly aggregates: AggregateStore<{ type: 'Increment'; data: { counterId: string; by: number } }, CounterEvent, CounterState>;

  constructor(
    store: EventStore,
    private readonly commands: CommandLog,
  ) {
    this.aggregates = new AggregateStore(store, counterDecider);
  }

  async increment(envelope: CommandEnvelope<{ counterId: string; by: number }>): Promise<{ total: number }> {
    this.received++;
    if (this.failNext > 0) {
      this.failNext--;
      throw new AutocoderError(ErrorCodes.Unavailable, 'counters are restarting');
    }
    return this.commands.run(INCREMENT, envelope, async () => {
      const handled = await this.aggregates.handle(`counter-${envelope.payload.counterId}`, { type: 'Increment', data: envelope.payload }, contextOf(envelope));
      return { value: { total: handled.state.total } };
    });
  }

  serveOn(broker: InProcessBroker, logger: Logger) {
    broker.register(INCREMENT, (envelope) => replyTo(envelope as CommandEnvelope, logger, () => this.increment(envelope as CommandEnvelope<{ counterId: string; by: number }>)));
  }
}

/** The sender: places orders, and records the counters' answer when the relay hands it over. */
export class OrdersService {
  readonly aggregates: AggregateStore<OrderCommand, OrderEvent, OrderState>;

  constructor(
    store: EventStore,
    private readonly commands: CommandLog,
  ) {
    this.aggregates = new AggregateStore(store, orderDecider);
  }

  place(envelope: CommandEnvelope<{ orderId: string; counterId: string; by: number }>) {
    return this.commands.run('test.orders.cmd.place', envelope, async () => {
      const handled = await this.aggregates.handle(`order-${envelope.payload.orderId}`, { type: 'PlaceOrder', data: envelope.payload }, contextOf(envelope));
      return { value: handled.position };
    });
  }

  record(envelope: CommandEnvelope<OrderCommand>) {
    return this.commands.run('test.orders.cmd.record', envelope, async () => {
      await this.aggregates.handle(`order-${envelope.payload.data.orderId}`, envelope.payload, contextOf(envelope));
      return { value: true };
    });
  }
}

/** The orders service's relay: IncrementRequested -> the counters service; its answer -> the order's stream. */
export function ordersRelay(
  orders: OrdersService,
  options: Omit<OutboxRelayOptions<OrderEvent>, 'routes' | 'name'> & { name?: string; onDelivered?: (orderId: string) => Promise<void> },
) {
  return outboxRelay<OrderEvent>({
    name: options.name ?? 'orders.outbox',
    ...options,
    routes: {
      IncrementRequested: {
        message: (event) => ({ subject: INCREMENT, payload: { counterId: event.data.counterId, by: event.data.by } }),
        delivered: async (answer, event, context) => {
          await options.onDelivered?.(event.data.orderId);
          const { total } = answer as { total: number };
          await orders.record(context.envelope({ type: 'Confirm', data: { orderId: event.data.orderId, total } }, 'confirm'));
        },
        refused: async (error, event, context) => {
          await orders.record(context.envelope({ type: 'Refuse', data: { orderId: event.data.orderId, code: error.code } }, 'refuse'));
        },
      },
    },
  });
}

export async function openCommandLog(pool: Pool, schema: string) {
  return CommandLog.open({ pool, schema });
}
