import { randomUUID } from 'node:crypto';
import type { CommandEnvelope } from '@autocoder/contracts';
import { PostgresEventStore, type RecordedEvent } from '@autocoder/eventstore';
import { InProcessBroker } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Pool } from 'pg';
import { Reactor } from '../src';
import { CountersService, OrdersService, openCommandLog, ordersRelay, type OrderEvent } from './toy-services';

const logger = createLogger('test', 'silent');
const FAST = { minMs: 20, maxMs: 200 };

describeWith({ postgres: true }, 'outbox relay and reactors on the real Postgres', () => {
  const schema = uniqueSchema('outbox');
  let pool: Pool;
  let store: PostgresEventStore;
  let broker: InProcessBroker;
  let counters: CountersService;
  let orders: OrdersService;
  const running: Reactor<OrderEvent>[] = [];

  const envelope = <P>(payload: P): CommandEnvelope<P> => ({ commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'admin' }, payload });
  const relay = (overrides: Partial<Parameters<typeof ordersRelay>[1]> = {}) => {
    const r = ordersRelay(orders, { store, pool, schema: `${schema}_orders`, bus: broker, logger, leaseMs: 1500, retry: FAST, ...overrides });
    running.push(r);
    return r;
  };
  const read = async (stream: string): Promise<RecordedEvent[]> => store.readStream(stream).catch(() => []);
  const eventually = async <T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 15_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  const outcomes = async (orderIds: string[]) =>
    Promise.all(orderIds.map(async (id) => (await read(`order-${id}`)).filter((e) => e.type === 'IncrementConfirmed' || e.type === 'IncrementRefused')));
  const allSettled = (orderIds: string[]) =>
    eventually(async () => ((await outcomes(orderIds)).every((o) => o.length > 0) ? true : undefined), `outcomes of ${orderIds.length} orders`);
  const place = async (counterId: string, by: number) => {
    const orderId = randomUUID();
    await orders.place(envelope({ orderId, counterId, by }));
    return orderId;
  };

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 10 });
    store = await PostgresEventStore.open({ pool, schema: `${schema}_es` });
  });
  beforeEach(async () => {
    broker = new InProcessBroker();
    counters = new CountersService(store, await openCommandLog(pool, `${schema}_counters`));
    counters.serveOn(broker, logger);
    orders = new OrdersService(store, await openCommandLog(pool, `${schema}_orders`));
    // Every test starts its relays where the previous test's relays stopped.
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await store?.close();
    for (const s of ['es', 'counters', 'orders']) await pool?.query(`DROP SCHEMA IF EXISTS ${schema}_${s} CASCADE`);
    await pool?.end();
  });

  it('delivers every outbox message and records every answer exactly once', async () => {
    const counterIds = [randomUUID(), randomUUID(), randomUUID()];
    const orderIds: string[] = [];
    for (let i = 0; i < 24; i++) orderIds.push(await place(counterIds[i % 3], i + 1));
    await relay().start();
    await allSettled(orderIds);

    for (const [n, counterId] of counterIds.entries()) {
      const increments = (await read(`counter-${counterId}`)).map((e) => (e.data as { by: number }).by);
      const expected = Array.from({ length: 24 }, (_, i) => i + 1).filter((_, i) => i % 3 === n);
      expect(increments.sort((a, b) => a - b)).toEqual(expected);
    }
    for (const outcome of await outcomes(orderIds)) expect(outcome.map((e) => e.type)).toEqual(['IncrementConfirmed']);
  });

  it('applies a delivery once when it is repeated after a crash between the answer and the checkpoint', async () => {
    const counterId = randomUUID();
    let crashes = 0;
    // The answer arrives, and the relay dies before it records it or moves its checkpoint.
    const crashy = relay({ onDelivered: async () => void (crashes++ === 0 && (() => { throw new Error('crashed after delivery'); })()) });
    const first = await place(counterId, 5);
    await crashy.start();
    await allSettled([first]);

    expect(counters.received).toBe(2); // delivered twice...
    expect((await read(`counter-${counterId}`)).map((e) => e.type)).toEqual(['Incremented']); // ...applied once
    expect((await outcomes([first]))[0].map((e) => e.data)).toEqual([{ orderId: first, total: 5 }]);
  });

  it('continues from its checkpoint after a restart, without sending anything again', async () => {
    const counterId = randomUUID();
    const before = [await place(counterId, 1), await place(counterId, 2)];
    const one = relay();
    await one.start();
    await allSettled(before);
    await one.stop();
    const received = counters.received;

    const after = [await place(counterId, 3)];
    await relay().start();
    await allSettled(after);
    expect(counters.received - received).toBe(1);
    expect((await read(`counter-${counterId}`)).map((e) => (e.data as { by: number }).by)).toEqual([1, 2, 3]);
  });

  it('retries an unavailable receiver, reporting the failing event meanwhile, and applies the message once', async () => {
    const counterId = randomUUID();
    counters.failNext = 4;
    const orderId = await place(counterId, 7);
    const requested = (await read(`order-${orderId}`)).find((e) => e.type === 'IncrementRequested')!;
    const r = relay({ retry: { minMs: 150, maxMs: 150 } });
    await r.start();
    const failing = await eventually(async () => r.status.failing ?? undefined, 'a failing status');
    expect(failing).toMatchObject({ position: requested.position, stream: `order-${orderId}`, type: 'IncrementRequested' });
    expect(failing.error).toMatch(/restarting/);
    expect(r.status.state).toBe('retrying');

    await allSettled([orderId]);
    await eventually(async () => (r.status.failing === null ? true : undefined), 'the failure cleared');
    expect(r.status.state).toBe('running');
    expect(counters.received).toBe(5);
    expect((await read(`counter-${counterId}`)).length).toBe(1);
  });

  it('hands a refusal to its route and never sends that message again', async () => {
    const orderId = await place(randomUUID(), 0);
    const r = relay();
    await r.start();
    await allSettled([orderId]);
    const [outcome] = await outcomes([orderId]);
    expect(outcome.map((e) => [e.type, e.data])).toEqual([['IncrementRefused', { orderId, code: 'VALIDATION_FAILED' }]]);
    // The relay reads only the types it reacts to: it is done once it reached the last of those.
    await r.waitFor((await store.headPosition({ types: r.eventTypes }))!);
    expect(counters.received).toBe(1);
  });

  it('reacts on one instance at a time; a standby takes over from the checkpoint when the holder lets go', async () => {
    const counterId = randomUUID();
    const a = relay();
    const b = relay();
    await a.start();
    await eventually(async () => (a.status.state === 'running' ? true : undefined), 'a running');
    await b.start();
    await eventually(async () => (b.status.state === 'standby' ? true : undefined), 'b in standby');

    const early = [await place(counterId, 1), await place(counterId, 2)];
    await allSettled(early);
    await a.stop();
    await eventually(async () => (b.status.state === 'running' ? true : undefined), 'b taking over');
    const late = [await place(counterId, 3), await place(counterId, 4)];
    await allSettled(late);

    expect((await read(`counter-${counterId}`)).map((e) => (e.data as { by: number }).by)).toEqual([1, 2, 3, 4]);
    expect(counters.received).toBe(4);
  });

  it('a reaction that keeps failing holds up only its own reactor', async () => {
    let broken = true;
    const seen: string[] = [];
    const counterId = randomUUID();
    const stuck = new Reactor<OrderEvent>({
      name: 'test.stuck',
      store,
      pool,
      schema: `${schema}_orders`,
      logger,
      retry: FAST,
      reactions: {
        OrderPlaced: async (event) => {
          if (event.data.counterId !== counterId) return; // earlier tests' orders
          if (broken) throw new Error(`cannot handle order ${event.data.orderId}`);
          seen.push(event.data.orderId);
        },
      },
    });
    running.push(stuck);
    const orderIds = [await place(counterId, 1), await place(counterId, 2)];
    await stuck.start();
    await relay().start();

    await eventually(async () => (stuck.status.failing ? true : undefined), 'the stuck reactor failing');
    await allSettled(orderIds); // the relay is not held up
    expect(stuck.status).toMatchObject({ state: 'retrying', failing: { type: 'OrderPlaced', stream: `order-${orderIds[0]}` } });
    expect(seen).toEqual([]);
    broken = false;
    await eventually(async () => (seen.length === 2 ? true : undefined), 'the stuck reactor catching up');
    expect(seen).toEqual(orderIds); // in order, each once
  });
});
