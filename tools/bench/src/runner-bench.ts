/**
 * The runner (`npm run bench -- runner`): what driving a session costs on top of the model, with the
 * fake Messages API answering at once, in the process `npm start` runs (startAutocoder: gateway,
 * coordinator and runner, in-process bus) on the real Postgres (BENCH_DATABASE_URL) in schemas of its
 * own (BENCH_RUNNER_STORE=pglite: embedded PGlite instead), with the fake in the same process.
 *
 *  a. Per turn: BENCH_RUNNER_RUNS (2) runs of `mathlib-long` one after another (an initializer, then
 *     4 coding sessions of about 30 model calls). For each coding session's turn i ≥ 1 the runner's
 *     own clock says how long the turn took: ModelCallCompleted[i].completedAt −
 *     ModelCallCompleted[i−1].completedAt, less the tools of turn i−1 (their ToolResultRecorded
 *     durationMs). Beside it the fake's own round trip in the same run: every coding request the fake
 *     recorded is sent again, as recorded, by the SDK straight to the fake (`messages.stream(…)
 *     .finalMessage()`, as the runner calls it). Overhead = turn − round trip (p50 of each, p99 of each).
 *  b. Memory: BENCH_RUNNER_CONCURRENT (20) projects and runs started at once (at most 2 sessions
 *     each: the initializer and one coding session of `mathlib-long`); rss and heap before the runs and
 *     at their peak (sampled every 50 ms), and the most sessions seen open at once.
 *  c. Cache: cache_read / (input + cache writes + cache read) over each 30-turn coding session of (a),
 *     beside a cache within the session only (each call reads the whole prompt of the call before it, the
 *     first call nothing; the runner's first call also reads the tools and system prompt an earlier session cached).
 */
import 'reflect-metadata';
import Anthropic from '@anthropic-ai/sdk';
import { startAutocoder, type RunningAutocoder } from '@autocoder/autocoder';
import { Subjects, type CommandEnvelope, type RunView } from '@autocoder/contracts';
import { isInitializerRequest, mathlibLong, startFakeAnthropic, type FakeAnthropic, type MessagesRequest } from '@autocoder/fake-anthropic';
import { loadConfig, type AutocoderConfig } from '@autocoder/platform';
import { dropSchemasWithPrefix, uniqueSchema } from '@autocoder/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BenchContext, BenchRow } from './main';

const envInt = (name: string, fallback: number) => {
  const raw = process.env[name];
  const value = raw === undefined || raw.trim() === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a whole number of 1 or more, got "${raw}"`);
  return value;
};

const admin = <P>(payload: P): CommandEnvelope<P> => ({ commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'admin' }, payload });
const query = <P>(payload: P) => ({ correlationId: randomUUID(), actor: { kind: 'admin' as const }, payload });

const quantile = (values: number[], q: number) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
};
const ms = (v: number) => `${v.toFixed(1)} ms`;
const mib = (bytes: number) => bytes / 2 ** 20;
const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');

const TURN_EVENTS = ['SessionStarted', 'SessionEnded', 'ModelCallCompleted', 'ToolCalled', 'ToolResultRecorded'];

interface StoredEvent {
  type: string;
  data: any;
}

interface TurnTimes {
  /** The runner's time from the previous call's end to this one's, less the previous turn's tools. */
  turns: number[];
  /** The call's latency as the runner measured it. */
  latencies: number[];
  sessions: { turns: number; share: number; perfect: number }[];
  /** Where a turn's time goes, by the events' own timestamps (ms). */
  phases: { afterCall: number[]; tools: number[]; beforeCall: number[] };
}

export async function runRunnerBench(ctx: BenchContext): Promise<BenchRow[]> {
  const runs = envInt('BENCH_RUNNER_RUNS', 2);
  const concurrent = envInt('BENCH_RUNNER_CONCURRENT', 20);
  // BENCH_RUNNER_STORE=pglite: the embedded defaults `npm start` and the demo run on.
  const embedded = process.env.BENCH_RUNNER_STORE === 'pglite';
  const prefix = `${uniqueSchema('bench_run')}_`;
  const home = mkdtempSync(join(tmpdir(), 'autocoder-bench-runner-'));
  const fake = await startFakeAnthropic({ script: mathlibLong });
  const env = { ...process.env };
  process.env.ANTHROPIC_BASE_URL = fake.url;
  process.env.ANTHROPIC_API_KEY = 'sk-ant-bench';
  const config: AutocoderConfig = {
    ...loadConfig({ AUTOCODER_AUTO_CONTINUE_DELAY_SEC: '0' }),
    home,
    port: 0,
    databaseUrl: embedded ? null : ctx.databaseUrl,
    natsUrl: null,
    eventstoreUrl: null,
    logLevel: 'warn',
    schemaPrefix: prefix,
  };
  ctx.log(`load at start ${load()}; ${embedded ? `PGlite in ${home}` : `Postgres ${ctx.databaseUrl.replace(/:[^:@/]*@/, ':***@')}, schemas ${prefix}*`}`);
  let system: RunningAutocoder | undefined;
  try {
    system = await startAutocoder(config, { runnerSweepMs: 200, runnerPollMs: 50, runnerClaimPatienceMs: 5000 });
    ctx.log(`store: ${system.db.embedded ? 'embedded Postgres (PGlite)' : 'Postgres'}, transport ${system.transport}`);
    const store = system.store;
    const events = async (runIds: string[], types = TURN_EVENTS) => {
      const wanted = new Set(runIds);
      const out: StoredEvent[] = [];
      for (let after: number | null = null; ; ) {
        const page = await store.readAll({ after, maxCount: 1000, filter: { types } });
        for (const e of page) if (wanted.has((e.data as { runId?: string }).runId ?? '')) out.push({ type: e.type, data: e.data });
        if (page.length < 1000) return out;
        after = page[page.length - 1].position;
      }
    };

    // a. Turns, one run at a time.
    const times: TurnTimes = { turns: [], latencies: [], sessions: [], phases: { afterCall: [], tools: [], beforeCall: [] } };
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const [runId] = await startRuns(system, 1, `long-${i}`, home);
      const run = await waitForRuns(system, [runId], 600_000);
      const stored = await events([runId]);
      addTurnTimes(stored, times);
      ctx.log(`run ${i + 1}/${runs}: ${run[0].status}, ${run[0].featureCounts.passing}/${run[0].featureCounts.total} passing, ${run[0].modelCalls} model calls in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }
    const coding = fake.answered().filter((r) => !isInitializerRequest(r.body as MessagesRequest));
    const roundTrips = await replay(fake, coding.map((r) => r.body as MessagesRequest));
    const phase = (values: number[]) => `p50 ${ms(quantile(values, 0.5))} / p99 ${ms(quantile(values, 0.99))}`;
    ctx.log(`turn phases: call end → first tool call ${phase(times.phases.afterCall)}; tools (first call → last result) ${phase(times.phases.tools)}; last result → next call ${phase(times.phases.beforeCall)}; call ${phase(times.latencies)}`);
    ctx.log(`fake round trips: ${roundTrips.length} coding requests sent again straight to the fake`);

    // b. Memory, every run at once.
    const before = process.memoryUsage();
    const peak = { rss: before.rss, heapUsed: before.heapUsed, heapTotal: before.heapTotal };
    const sampler = setInterval(() => {
      const now = process.memoryUsage();
      peak.rss = Math.max(peak.rss, now.rss);
      peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
      peak.heapTotal = Math.max(peak.heapTotal, now.heapTotal);
    }, 50);
    let maxOpen = 0;
    let concurrentRuns: RunView[];
    const started = performance.now();
    try {
      const runIds = await startRuns(system, concurrent, 'wide', home, 2);
      const opened = setInterval(() => {
        void events(runIds, ['SessionStarted', 'SessionEnded'])
          .then((stored) => {
            const open = stored.filter((e) => e.type === 'SessionStarted').length - stored.filter((e) => e.type === 'SessionEnded').length;
            maxOpen = Math.max(maxOpen, open);
          })
          .catch(() => undefined);
      }, 250);
      try {
        concurrentRuns = await waitForRuns(system, runIds, 900_000);
      } finally {
        clearInterval(opened);
      }
    } finally {
      clearInterval(sampler);
    }
    const wideSeconds = (performance.now() - started) / 1000;
    const ended = concurrentRuns.map((r) => r.status).join(', ');
    ctx.log(`${concurrent} runs at once: ${[...new Set(ended.split(', '))].join('/')} in ${wideSeconds.toFixed(1)} s, at most ${maxOpen} sessions open at once`);

    const turn50 = quantile(times.turns, 0.5);
    const turn99 = quantile(times.turns, 0.99);
    const rtt50 = quantile(roundTrips, 0.5);
    const rtt99 = quantile(roundTrips, 0.99);
    const lat50 = quantile(times.latencies, 0.5);
    const lat99 = quantile(times.latencies, 0.99);
    const shares = times.sessions.map((s) => s.share);
    const perfect = times.sessions.map((s) => s.perfect);
    ctx.log(`load at end ${load()}`);
    return [
      {
        benchmark: 'runner turns/s, one 30-turn coding session (p50)',
        unit: 'turns/s',
        autocoder: 1000 / turn50,
        baseline: 1000 / rtt50,
        detail:
          `baseline: the SDK calling the fake directly with the same ${roundTrips.length} requests. Per turn (${times.turns.length} turns, ` +
          `${times.sessions.length} coding sessions, tools taken out): p50 ${ms(turn50)} / p99 ${ms(turn99)}; the runner's own latency of the call ` +
          `p50 ${ms(lat50)} / p99 ${ms(lat99)}; the fake's round trip p50 ${ms(rtt50)} / p99 ${ms(rtt99)}; overhead p50 ${ms(turn50 - rtt50)} / p99 ${ms(turn99 - rtt99)}`,
      },
      {
        benchmark: `memory, ${concurrent} concurrent runs (rss at peak)`,
        unit: 'MiB',
        autocoder: mib(peak.rss),
        baseline: mib(before.rss),
        detail:
          `baseline: rss before the runs. Heap used ${mib(before.heapUsed).toFixed(0)} → ${mib(peak.heapUsed).toFixed(0)} MiB at peak ` +
          `(heap total ${mib(before.heapTotal).toFixed(0)} → ${mib(peak.heapTotal).toFixed(0)}); at most ${maxOpen} sessions open at once; ` +
          `${concurrent} runs ended (${[...new Set(ended.split(', '))].join('/')}) in ${wideSeconds.toFixed(1)} s; ` +
          `rss grew ${(mib(peak.rss - before.rss) / Math.max(1, maxOpen)).toFixed(1)} MiB per open session`,
      },
      {
        benchmark: 'cache read share of input, 30-turn coding session (median)',
        unit: '%',
        autocoder: quantile(shares, 0.5) * 100,
        baseline: quantile(perfect, 0.5) * 100,
        detail:
          `baseline: a cache within the session only (each call reads the whole prompt of the call before it, the first reads nothing). Per session (${times.sessions.length}): ` +
          `${shares.map((s) => `${(s * 100).toFixed(1)}%`).join(', ')}; turns per session ${times.sessions.map((s) => s.turns).join(', ')}`,
      },
    ];
  } finally {
    await system?.stop();
    await fake.close();
    process.env = env;
    if (!embedded) await dropSchemasWithPrefix(prefix, ctx.databaseUrl).catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }
}

/** Registers `count` projects and starts a run on each at once; their run ids. */
async function startRuns(system: RunningAutocoder, count: number, name: string, home: string, maxSessions?: number): Promise<string[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const project = await system.bus.request<{ projectId: string }>(
        Subjects.runner.registerProject,
        admin({ name: `${name}-${i}`, spec: 'A tiny math library with node:test tests.', path: join(home, 'projects', `${name}-${i}`) }),
      );
      const run = await system.bus.request<{ runId: string }>(Subjects.runner.startRun, admin({ projectId: project.projectId, ...(maxSessions ? { maxSessions } : {}) }));
      return run.runId;
    }),
  );
}

async function waitForRuns(system: RunningAutocoder, runIds: string[], timeoutMs: number): Promise<RunView[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const views = await Promise.all(runIds.map((runId) => system.bus.request<RunView>(Subjects.runner.getRun, query({ runId })).catch(() => null)));
    if (views.every((v) => v && !['running', 'paused'].includes(v.status))) return views as RunView[];
    if (Date.now() > deadline) throw new Error(`runs not ended within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Each coding session's turns from its stored events: the runner's clock, less the tools between two calls. */
function addTurnTimes(stored: StoredEvent[], times: TurnTimes) {
  const kinds = new Map(stored.filter((e) => e.type === 'SessionStarted').map((e) => [e.data.sessionId as string, e.data.kind as string]));
  const tools = new Map<string, number>();
  for (const e of stored.filter((s) => s.type === 'ToolResultRecorded')) {
    const key = `${e.data.sessionId}:${e.data.turn}`;
    tools.set(key, (tools.get(key) ?? 0) + (e.data.durationMs as number));
  }
  for (const [sessionId, kind] of kinds) {
    if (kind !== 'coding') continue;
    const calls = stored.filter((e) => e.type === 'ModelCallCompleted' && e.data.sessionId === sessionId).sort((a, b) => a.data.turn - b.data.turn);
    for (let i = 1; i < calls.length; i++) {
      const gap = Date.parse(calls[i].data.completedAt) - Date.parse(calls[i - 1].data.completedAt);
      times.turns.push(gap - (tools.get(`${sessionId}:${calls[i - 1].data.turn}`) ?? 0));
      times.latencies.push(calls[i].data.latencyMs as number);
      const turnTools = stored.filter((e) => (e.type === 'ToolCalled' || e.type === 'ToolResultRecorded') && e.data.sessionId === sessionId && e.data.turn === calls[i - 1].data.turn);
      const called = turnTools.filter((e) => e.type === 'ToolCalled').map((e) => Date.parse(e.data.calledAt));
      const recorded = turnTools.filter((e) => e.type === 'ToolResultRecorded').map((e) => Date.parse(e.data.recordedAt));
      if (called.length && recorded.length) {
        const callStart = Date.parse(calls[i].data.completedAt) - calls[i].data.latencyMs;
        times.phases.afterCall.push(Math.min(...called) - Date.parse(calls[i - 1].data.completedAt));
        times.phases.tools.push(Math.max(...recorded) - Math.min(...called));
        times.phases.beforeCall.push(callStart - Math.max(...recorded));
      }
    }
    const inputOf = (u: any) => u.input + u.cacheWrite5m + u.cacheWrite1h + u.cacheRead;
    const all = calls.reduce((sum, c) => sum + inputOf(c.data.usage), 0);
    const read = calls.reduce((sum, c) => sum + c.data.usage.cacheRead, 0);
    // A perfect cache: every call after the first reads all of the previous call's prompt.
    const perfect = calls.slice(1).reduce((sum, c, i) => sum + Math.min(inputOf(calls[i].data.usage), inputOf(c.data.usage)), 0);
    times.sessions.push({ turns: calls.length, share: all ? read / all : 0, perfect: all ? perfect / all : 0 });
  }
}

/** The fake's own round trip: each request sent again, as recorded, by the SDK the way the runner calls it. */
async function replay(fake: FakeAnthropic, bodies: MessagesRequest[]): Promise<number[]> {
  const client = new Anthropic({ baseURL: fake.url, apiKey: 'sk-ant-bench', maxRetries: 0 });
  const out: number[] = [];
  for (const body of bodies) {
    const { stream: _stream, ...params } = body as MessagesRequest & { stream?: boolean };
    const started = performance.now();
    await client.messages.stream(params as Parameters<typeof client.messages.stream>[0]).finalMessage();
    out.push(performance.now() - started);
  }
  return out;
}
