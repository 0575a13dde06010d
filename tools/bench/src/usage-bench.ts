/**
 * The usage ledger on the real Postgres, in a fresh schema dropped at the end:
 *
 *  1. baseline: W writers append `calls` ModelCallCompleted events (one per append, each writer its
 *     own sessions, with the expected revision), with the ledger stopped: the raw append rate.
 *  2. ledger throughput: the usage runtime starts on those events and prices every call
 *     (CallPriced on its session's ledger, through the aggregate and its command id) and rolls it
 *     up (ledger line and eight rollups, exact numeric); timed from its start until the ledger
 *     projection holds the last call.
 *  3. lag: with the ledger caught up, one call at a time is appended and the time to the
 *     usageUpdated notification naming it is taken (p50, p99).
 */
import { Subjects, sessionStreamName, type UsageUpdated } from '@autocoder/contracts';
import { PostgresEventStore, type NewEvent } from '@autocoder/eventstore';
import { InProcessBroker } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { uniqueSchema } from '@autocoder/testing';
import { loadPriceBook, UsageRuntime } from '@autocoder/usage';
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import type { BenchContext, BenchRow } from './main';

const int = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);

const MODELS = ['claude-sonnet-5-5', 'claude-opus-5-5', 'claude-haiku-5-5', 'claude-haiku-4-5-20251001'];

function modelCall(projectId: string, runId: string, sessionId: string, turn: number): NewEvent {
  return {
    id: randomUUID(),
    type: 'ModelCallCompleted',
    data: {
      projectId,
      runId,
      sessionId,
      featureId: `f-${turn % 8}`,
      taskId: null,
      turn,
      model: MODELS[turn % MODELS.length],
      stopReason: 'tool_use',
      latencyMs: 900,
      requestId: null,
      attempts: 1,
      maxTokens: 16000,
      usage: { input: 1200 + turn, output: 400 + (turn % 50), cacheWrite5m: 2000, cacheWrite1h: turn % 5 ? 0 : 1000, cacheRead: 20_000 + turn * 100 },
      content: [{ type: 'text', text: 'ok' }],
      completedAt: new Date().toISOString(),
    },
    metadata: { correlationId: runId, actor: 'system:runner', time: new Date().toISOString() },
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export async function runUsageBench(ctx: BenchContext): Promise<BenchRow[]> {
  const writers = int('BENCH_USAGE_WRITERS', 8);
  const calls = int('BENCH_USAGE_CALLS', 4000);
  const lagSamples = int('BENCH_USAGE_LAG_SAMPLES', 200);
  const perSession = 40;
  const prefix = uniqueSchema('bench_us');
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: writers + 4 });
  const store = await PostgresEventStore.open({ pool, schema: `${prefix}_eventstore` });
  const bus = new InProcessBroker();
  const logger = createLogger('usage-bench', 'warn');
  let runtime: UsageRuntime | undefined;
  try {
    // 1. The raw append rate of the model-call events themselves.
    const projectIds = Array.from({ length: 4 }, () => randomUUID());
    const perWriter = Math.ceil(calls / writers);
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        const runId = randomUUID();
        let sessionId = randomUUID();
        let revision: number | null = null;
        for (let i = 0; i < perWriter; i++) {
          if (i % perSession === 0) {
            sessionId = randomUUID();
            revision = null;
          }
          const result = await store.append(sessionStreamName(sessionId), [modelCall(projectIds[w % projectIds.length], runId, sessionId, i % perSession)], revision === null ? 'no_stream' : revision);
          revision = result.nextExpectedRevision;
        }
      }),
    );
    const appendSeconds = (performance.now() - t0) / 1000;
    const appended = perWriter * writers;
    const appendRate = appended / appendSeconds;
    ctx.log(`usage: appended ${appended} model calls in ${appendSeconds.toFixed(2)} s (${Math.round(appendRate)}/s, ${writers} writers)`);

    // 2. The ledger catching up on them: priced, appended as CallPriced, rolled up.
    const t1 = performance.now();
    runtime = await UsageRuntime.start({ store, bus, databaseUrl: ctx.databaseUrl, schema: `${prefix}_usage`, logger, prices: loadPriceBook(), batchSize: 500 });
    const head = (await store.headPosition({ types: ['ModelCallCompleted'] }))!;
    await runtime.reactor.waitFor(head, 600_000);
    const priced = (await store.headPosition({ types: ['CallPriced'] }))!;
    await runtime.projectors.ledger.waitFor(priced, 600_000);
    const ledgerSeconds = (performance.now() - t1) / 1000;
    const ledgerRate = appended / ledgerSeconds;
    const all = await runtime.queries.allUsage();
    const rolledUp = all.reduce((a, p) => a + p.calls, 0);
    if (rolledUp !== appended) throw new Error(`the rollups hold ${rolledUp} calls, expected ${appended}`);
    ctx.log(`usage: priced and rolled up ${appended} calls in ${ledgerSeconds.toFixed(2)} s (${Math.round(ledgerRate)}/s)`);

    // 3. Lag from a call's append to its usageUpdated notification.
    const waiting = new Map<string, (at: number) => void>();
    const unsubscribe = bus.subscribe<UsageUpdated>(Subjects.notifications.usageUpdated, (u) => waiting.get(u.callId)?.(performance.now()));
    const lags: number[] = [];
    const sessionId = randomUUID();
    const runId = randomUUID();
    let revision: number | null = null;
    for (let i = 0; i < lagSamples; i++) {
      const event = modelCall(projectIds[0], runId, sessionId, i);
      const seen = new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no usageUpdated for call ${i} within 10 s`)), 10_000);
        waiting.set(event.id, (at) => (clearTimeout(timer), resolve(at)));
      });
      const sent = performance.now();
      revision = (await store.append(sessionStreamName(sessionId), [event], revision === null ? 'no_stream' : revision)).nextExpectedRevision;
      lags.push((await seen) - sent);
      waiting.delete(event.id);
    }
    unsubscribe();
    lags.sort((a, b) => a - b);
    const p50 = percentile(lags, 50);
    const p99 = percentile(lags, 99);
    ctx.log(`usage: append → usageUpdated lag over ${lagSamples} calls: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${lags.at(-1)!.toFixed(1)} ms`);
    return [
      {
        benchmark: 'usage: model calls priced and rolled up (per s)',
        unit: 'calls/s',
        autocoder: ledgerRate,
        baseline: appendRate,
        detail: `baseline: the raw append rate of the same ${appended} ModelCallCompleted events (${writers} writers, one event per append); append → usageUpdated lag p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms`,
      },
    ];
  } finally {
    await runtime?.stop().catch(() => undefined);
    await store.close().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS ${prefix}_usage CASCADE; DROP SCHEMA IF EXISTS ${prefix}_eventstore CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
