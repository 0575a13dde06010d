import { Subjects, sessionStreamName, type ModelCallCompleted, type ProjectUsageView, type UsageUpdated } from '@autocoder/contracts';
import { PostgresEventStore, type NewEvent } from '@autocoder/eventstore';
import { InProcessBroker } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import { loadPriceBook, parsePriceTable, picoToUsd, TablePriceBook, UsageRuntime, usdToPico, type PriceBook } from '../src';

const logger = createLogger('usage-test', 'silent');
const admin = <P>(payload: P) => ({ commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'admin' as const }, payload });
const query = <P>(payload: P) => ({ correlationId: randomUUID(), actor: { kind: 'admin' as const }, payload });

type CallData = ModelCallCompleted['data'];
const call = (over: Partial<CallData> & Pick<CallData, 'projectId' | 'runId' | 'sessionId' | 'turn'>): NewEvent => ({
  id: randomUUID(),
  type: 'ModelCallCompleted',
  data: {
    featureId: null,
    taskId: null,
    model: 'claude-sonnet-5-5',
    stopReason: 'tool_use',
    latencyMs: 10,
    requestId: null,
    attempts: 1,
    maxTokens: 16000,
    usage: { input: 100, output: 50, cacheWrite5m: 10, cacheWrite1h: 5, cacheRead: 1000 },
    content: [],
    completedAt: '2026-12-01T10:00:00.000Z',
    ...over,
  } satisfies CallData,
  metadata: { correlationId: randomUUID(), actor: 'system:runner', time: new Date().toISOString() },
});

describeWith({ postgres: true }, 'the usage ledger on the real Postgres', () => {
  const prefix = uniqueSchema('usageledger');
  let pool: Pool;
  let store: PostgresEventStore;
  let bus: InProcessBroker;
  let runtime: UsageRuntime;
  const start = (prices: PriceBook) => UsageRuntime.start({ store, bus, databaseUrl: TEST_DATABASE_URL, schema: `${prefix}_usage`, logger, prices });
  const caughtUp = async () => {
    const calls = await store.headPosition({ types: ['ModelCallCompleted'] });
    if (calls !== null) await runtime.reactor.waitFor(calls, 20_000);
    const ledger = await store.headPosition({ types: ['CallPriced', 'CallRecosted', 'CallNotPriced'] });
    if (ledger !== null) await runtime.projectors.ledger.waitFor(ledger, 20_000);
  };
  const usage = (projectId: string) => runtime.ledger.projectUsage(query({ projectId }));
  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL });
    store = await PostgresEventStore.open({ pool, schema: `${prefix}_eventstore` });
    bus = new InProcessBroker();
    runtime = await start(loadPriceBook());
  });
  afterAll(async () => {
    await runtime?.stop();
    await store?.close();
    await pool.query(`DROP SCHEMA IF EXISTS ${prefix}_usage CASCADE; DROP SCHEMA IF EXISTS ${prefix}_eventstore CASCADE`).catch(() => undefined);
    await pool?.end();
  });

  const projectId = randomUUID();
  const runId = randomUUID();
  const sessions = [randomUUID(), randomUUID(), randomUUID()];

  it('prices every model call once, and every rollup equals the sum of the calls, also after a rebuild from the events', async () => {
    const models = ['claude-sonnet-5-5', 'claude-opus-5-5', 'claude-haiku-5-5', 'claude-sonnet-4-5-20250929', 'claude-unheard-of-1'];
    for (const [s, sessionId] of sessions.entries()) {
      const events = Array.from({ length: 40 }, (_, turn) =>
        call({
          projectId,
          runId,
          sessionId,
          turn,
          featureId: `f-${turn % 4}`,
          taskId: null,
          model: models[(turn + s) % models.length],
          usage: { input: 1000 + turn * 7919, output: 300 + turn, cacheWrite5m: turn * 3, cacheWrite1h: turn % 2 ? 250_000 : 0, cacheRead: 5000 * turn },
          completedAt: new Date(Date.UTC(2026, 11, 1 + (turn % 3), turn % 24)).toISOString(),
        }),
      );
      await store.append(sessionStreamName(sessionId), events, 'any');
    }
    await caughtUp();
    const view = await usage(projectId);
    const lines = await runtime.ledger.ledger(query({ projectId }));
    expect(lines.length).toBe(120);
    const expectedPico = lines.reduce((a, l) => a + usdToPico(l.costUsd), 0n);
    expect(view.totals.costUsd).toBe(picoToUsd(expectedPico));
    expect(view.totals.calls).toBe(120);
    expect(view.totals.unknownModelCalls).toBe(lines.filter((l) => l.unknownModel).length);
    expect(view.totals.unknownModelCalls).toBe(24);
    expect(view.totals.usage.cacheWrite1h).toBe(lines.reduce((a, l) => a + l.usage.cacheWrite1h, 0));
    expect(lines.some((l) => l.longContext)).toBe(true);
    for (const breakdown of [view.byFeature, view.bySession, view.byRun, view.byModel, view.byDay]) {
      expect(picoToUsd(breakdown.reduce((a, r) => a + usdToPico(r.costUsd), 0n))).toBe(view.totals.costUsd);
      expect(breakdown.reduce((a, r) => a + r.calls, 0)).toBe(120);
    }
    // Each line priced as the table says.
    const book = loadPriceBook();
    for (const l of lines) expect(l.costUsd).toBe(book.price(l.model, l.usage, l.calledAt).costUsd);
    expect(await runtime.ledger.runCost(query({ runId }))).toEqual(view.totals);
    const series = await runtime.ledger.series(query({ projectId, bucket: 'hour' }));
    expect(picoToUsd(series.reduce((a, p) => a + usdToPico(p.costUsd), 0n))).toBe(view.totals.costUsd);

    // A replay of the reactor (its checkpoint lost) appends nothing twice.
    const before = await eventCount();
    await pool.query(`UPDATE ${prefix}_usage.reactor_checkpoints SET position = -1`);
    await runtime.reactor.stop();
    await runtime.reactor.start();
    await caughtUp();
    expect(await eventCount()).toBe(before);

    await runtime.rebuildProjections();
    expect(await usage(projectId)).toEqual(view);
  }, 60_000);

  it('reports bad token counts without pricing them, and goes on pricing the next calls', async () => {
    const sessionId = randomUUID();
    const bad = call({ projectId, runId, sessionId, turn: 0, usage: { input: -5, output: 1.5, cacheWrite5m: 0, cacheWrite1h: 0 } as never });
    const good = call({ projectId, runId, sessionId, turn: 1 });
    await store.append(sessionStreamName(sessionId), [bad, good], 'any');
    await caughtUp();
    const { rows } = await pool.query(`SELECT problems FROM ${prefix}_usage.unpriced_calls WHERE call_id = $1`, [bad.id]);
    expect(rows[0].problems).toEqual(['usage.input is -5: expected 0 or more tokens', 'usage.output is 1.5: expected a whole number of tokens', 'usage.cacheRead is missing: expected a whole number of tokens']);
    const lines = await runtime.ledger.ledger(query({ projectId }));
    expect(lines.map((l) => l.callId)).toContain(good.id);
    expect(lines.map((l) => l.callId)).not.toContain(bad.id);
  }, 30_000);

  it('publishes the project totals within a second of a recorded call', async () => {
    const sessionId = randomUUID();
    const seen: { at: number; update: UsageUpdated }[] = [];
    const stop = bus.subscribe<UsageUpdated>(Subjects.notifications.usageUpdated, (update) => seen.push({ at: Date.now(), update }));
    const event = call({ projectId, runId, sessionId, turn: 0 });
    const appended = Date.now();
    await store.append(sessionStreamName(sessionId), [event], 'any');
    const deadline = Date.now() + 5000;
    while (!seen.some((s) => s.update.callId === event.id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    stop();
    const hit = seen.find((s) => s.update.callId === event.id)!;
    expect(hit).toBeDefined();
    expect(hit.at - appended).toBeLessThan(1000);
    expect(hit.update.totals).toEqual((await usage(projectId)).totals);
  }, 30_000);

  it('recosts from the stored buckets under a new price version, keeping the old answer explainable', async () => {
    const before: ProjectUsageView = await usage(projectId);
    await runtime.stop();
    const text = (await import('node:fs')).readFileSync(require.resolve('../src/prices/prices.yaml'), 'utf8');
    // Version 2: Sonnet 5.5 output doubles, from the start of time.
    const v2 = new TablePriceBook(
      parsePriceTable(
        text.replace('version: 1', 'version: 2').replace("{ from: '2026-10-07', input: '2', cacheWrite5m: '2.5', cacheWrite1h: '4', cacheRead: '0.1', output: '10' }", "{ from: '2026-10-07', input: '2', cacheWrite5m: '2.5', cacheWrite1h: '4', cacheRead: '0.1', output: '20' }"),
        'v2',
      ),
    );
    runtime = await start(v2);
    const answer = await runtime.ledger.recost('usage.cmd.recost', admin({}));
    expect(answer.toVersion).toBe(2);
    expect(answer.examined).toBe(before.totals.calls);
    const sonnet = (await runtime.ledger.ledger(query({ projectId }))).filter((l) => l.model === 'claude-sonnet-5-5');
    expect(answer.recosted).toBe(sonnet.length);
    await caughtUp();
    const after = await usage(projectId);
    const lines = await runtime.ledger.ledger(query({ projectId }));
    expect(after.totals.costUsd).toBe(picoToUsd(lines.reduce((a, l) => a + usdToPico(l.costUsd), 0n)));
    const extra = sonnet.reduce((a, l) => a + BigInt(l.usage.output) * 10_000_000n, 0n);
    expect(usdToPico(after.totals.costUsd) - usdToPico(before.totals.costUsd)).toBe(extra);
    expect(after.priceVersions).toEqual([1, 2]);
    for (const l of lines) expect(l.costUsd).toBe(v2.price(l.model, l.usage, l.calledAt).costUsd);
    // The events say which version priced each call before.
    const { rows } = await pool.query(`SELECT data FROM ${prefix}_eventstore.events WHERE type = 'CallRecosted' LIMIT 1`);
    expect(rows[0].data).toMatchObject({ fromVersion: 1, toVersion: 2 });
    // Calls whose price did not change keep their version; a second recost finds nothing left to change.
    expect(answer.unchanged).toBe(before.totals.calls - sonnet.length);
    expect(await runtime.ledger.recost('usage.cmd.recost', admin({}))).toEqual({ toVersion: 2, examined: answer.unchanged, recosted: 0, unchanged: answer.unchanged });
    await runtime.rebuildProjections();
    expect(await usage(projectId)).toEqual(after);
  }, 60_000);

  const eventCount = async () => Number((await pool.query(`SELECT count(*) FROM ${prefix}_eventstore.events WHERE stream_id LIKE 'usage-session-%'`)).rows[0].count);
});

