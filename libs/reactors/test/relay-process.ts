/**
 * The orders service's outbox relay as a process of its own, for the crash suite. With CRASH_MARKER
 * set and that file absent, it kills itself (SIGKILL, no clean-up) right after the first answer
 * arrives: the receiver has applied the message, the relay has neither recorded the answer nor moved
 * its checkpoint, and its lease is still held.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { PostgresEventStore } from '@autocoder/eventstore';
import { NatsMessageBus } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { Pool } from 'pg';
import { OrdersService, openCommandLog, ordersRelay } from './toy-services';

async function main() {
  const env = (name: string) => process.env[name] ?? (() => { throw new Error(`${name} is not set`); })();
  const schema = env('SCHEMA');
  const logger = createLogger('relay', 'warn');
  const pool = new Pool({ connectionString: env('DATABASE_URL'), max: 4 });
  const store = await PostgresEventStore.open({ pool, schema: `${schema}_es` });
  const bus = await NatsMessageBus.connect(env('NATS_URL'), 'relay', env('NATS_PREFIX'));
  const orders = new OrdersService(store, await openCommandLog(pool, `${schema}_orders`));
  const marker = process.env.CRASH_MARKER;
  const relay = ordersRelay(orders, {
    store,
    pool,
    schema: `${schema}_orders`,
    bus,
    logger,
    leaseMs: Number(env('LEASE_MS')),
    retry: { minMs: 20, maxMs: 200 },
    onDelivered: async () => {
      if (marker && !existsSync(marker)) {
        writeFileSync(marker, String(process.pid));
        process.kill(process.pid, 'SIGKILL');
        await new Promise(() => undefined);
      }
    },
  });
  await relay.start();
   
  console.log(`relay running ${process.pid}`);
  const timer = setInterval(() => console.log(`status ${JSON.stringify(relay.status)}`), 200);
  process.on('SIGTERM', () => {
    clearInterval(timer);
    void relay.stop().then(() => process.exit(0));
  });
}

main().catch((error) => {
   
  console.error(error);
  process.exit(1);
});
