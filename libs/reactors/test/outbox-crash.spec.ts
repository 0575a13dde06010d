import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { CommandEnvelope } from '@autocoder/contracts';
import { PostgresEventStore } from '@autocoder/eventstore';
import { natsServerOptions, replyTo } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { TEST_DATABASE_URL, TEST_NATS_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Controller, Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { Pool } from 'pg';
import { CountersService, INCREMENT, OrdersService, openCommandLog } from './toy-services';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const logger = createLogger('test', 'silent');
let counters: CountersService;

@Controller()
class CountersController {
  @MessagePattern(INCREMENT)
  increment(@Payload() envelope: CommandEnvelope<{ counterId: string; by: number }>) {
    return replyTo(envelope, logger, () => counters.increment(envelope));
  }
}
@Module({ controllers: [CountersController] })
class CountersModule {}

describeWith({ postgres: true, nats: true }, 'outbox relay processes killed with SIGKILL (real Postgres and NATS)', () => {
  const schema = uniqueSchema('outboxkill');
  const natsPrefix = `${schema}-${randomBytes(3).toString('hex')}.`;
  const home = mkdtempSync(join(tmpdir(), 'outbox-crash-'));
  let pool: Pool;
  let store: PostgresEventStore;
  let receiver: INestMicroservice;
  const children: ChildProcess[] = [];

  const startRelay = (extraEnv: Record<string, string>) => {
    const child = spawn(process.execPath, ['-r', '@swc-node/register', 'libs/reactors/test/relay-process.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_OPTIONS: '', DATABASE_URL: TEST_DATABASE_URL, NATS_URL: TEST_NATS_URL, NATS_PREFIX: natsPrefix, SCHEMA: schema, LEASE_MS: '1500', ...extraEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    const printed = (pattern: RegExp, timeoutMs = 30_000) =>
      new Promise<void>((ok, fail) => {
        const started = Date.now();
        const check = setInterval(() => {
          if (pattern.test(output)) {
            clearInterval(check);
            ok();
          } else if (Date.now() - started > timeoutMs) {
            clearInterval(check);
            fail(new Error(`relay did not print ${pattern}: ${output.slice(-3000)}`));
          }
        }, 25);
      });
    return { child, exited, printed, output: () => output };
  };

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 6 });
    store = await PostgresEventStore.open({ pool, schema: `${schema}_es` });
    counters = new CountersService(store, await openCommandLog(pool, `${schema}_counters`));
    receiver = await NestFactory.createMicroservice(CountersModule, { ...natsServerOptions(TEST_NATS_URL, 'counters', 'counters', natsPrefix), logger: false });
    await receiver.listen();
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await receiver?.close();
    await store?.close();
    for (const s of ['es', 'counters', 'orders']) await pool?.query(`DROP SCHEMA IF EXISTS ${schema}_${s} CASCADE`);
    await pool?.end();
    rmSync(home, { recursive: true, force: true });
  });

  it('a relay killed between the answer and its checkpoint is taken over by a standby, and nothing is applied twice', async () => {
    const orders = new OrdersService(store, await openCommandLog(pool, `${schema}_orders`));
    const counterId = randomUUID();
    const orderIds: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const orderId = randomUUID();
      await orders.place({ commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'admin' }, payload: { orderId, counterId, by: i } });
      orderIds.push(orderId);
    }
    const marker = join(home, 'crashed');
    const doomed = startRelay({ CRASH_MARKER: marker });
    await doomed.printed(/relay running/);
    const standby = startRelay({});
    await standby.printed(/relay running/);

    expect(await doomed.exited).toBe('SIGKILL');
    expect(existsSync(marker)).toBe(true);
    // The standby takes over once the dead relay's lease has run out, and finishes the work.
    const confirmed = async () =>
      Promise.all(orderIds.map(async (id) => (await store.readStream(`order-${id}`)).filter((e) => e.type === 'IncrementConfirmed')));
    const deadline = Date.now() + 30_000;
    while ((await confirmed()).some((c) => c.length === 0)) {
      if (Date.now() > deadline) throw new Error(`not every order confirmed: ${standby.output().slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const increments = (await store.readStream(`counter-${counterId}`)).map((e) => (e.data as { by: number }).by);
    expect(increments).toEqual([1, 2, 3, 4, 5]); // the first message reached the counters twice, applied once
    expect(counters.received).toBe(6);
    for (const c of await confirmed()) expect(c).toHaveLength(1);
    expect((await confirmed())[0][0].data).toEqual({ orderId: orderIds[0], total: 1 });
  });
});
