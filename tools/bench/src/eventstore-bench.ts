/**
 * The Postgres event store against plain Postgres doing the same amount of work on the same
 * database, in a fresh schema that is dropped at the end:
 *
 *  1. single appends: W writers, each its own stream, one event per append with the correct
 *     expected revision  vs  W writers doing a one-row autocommit INSERT of the same JSON.
 *  2. batched appends: the same with B events per append  vs  one B-row INSERT per statement.
 *  3. catch-up: a subscribeToAll({ after: null }) reading N stored events  vs  keyset paging
 *     `SELECT ... WHERE id > $1 ORDER BY id LIMIT <page>` over a plain table of N rows.
 *  4. filtered catch-up: the same subscription asking for one event type of ten (as a projector
 *     does)  vs  keyset paging `WHERE type = $1 AND id > $2 ORDER BY id` over a plain table with a
 *     (type, id) index.
 *
 * Order: both tables are first filled (untimed) with N rows and analyzed, the catch-up is read,
 * and the appends then go to a store that already holds N events, as a live one would. (From an
 * empty, never-analyzed table the store's cached plans seq-scan; see docs/benchmarks.md.)
 *
 * Each measurement is taken `rounds` times, autocoder and baseline alternating which goes first,
 * and the median is reported: the machine is shared, single runs wander.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { PostgresEventStore, type EventFilter, type ExpectedRevision, type NewEvent, type RecordedEvent } from '@autocoder/eventstore';
import { uniqueSchema } from '@autocoder/testing';
import type { BenchContext, BenchRow } from './main';

export interface EventStoreBenchOptions {
  writers: number;
  /** Single-event appends per writer in benchmark 1. */
  appendsPerWriter: number;
  /** Batched appends per writer in benchmark 2. */
  batchesPerWriter: number;
  batchSize: number;
  /** Events stored (and rows in the baseline table) before anything is timed; the catch-up reads them. */
  catchUpEvents: number;
  /** Subscription batch size and baseline LIMIT. */
  pageSize: number;
  /** Event types the stored events are spread over (round robin); the filtered catch-up asks for one. */
  catchUpTypes: number;
  /** Times each measurement is repeated; the median is reported. */
  rounds: number;
  /** Untimed operations per writer on each path first, so connections and plans exist. */
  warmupPerWriter: number;
  /** A phase taking longer than this fails the run instead of hanging it. */
  phaseTimeoutMs: number;
}

export const EVENTSTORE_BENCH_DEFAULTS: EventStoreBenchOptions = {
  writers: 16,
  appendsPerWriter: 500,
  batchesPerWriter: 20,
  batchSize: 100,
  catchUpEvents: 50_000,
  pageSize: 500,
  catchUpTypes: 10,
  rounds: 3,
  warmupPerWriter: 5,
  phaseTimeoutMs: 120_000,
};

/** An event shaped like the control plane's own: a few ids, a status, a short text. */
export const makeEvent = (writer: number, seq: number): NewEvent => ({
  id: randomUUID(),
  type: 'bench.TaskProgressed',
  data: {
    taskId: `task-${writer}`,
    seq,
    status: 'in_progress',
    progress: seq % 100,
    note: 'benchmark event: the agent reports progress on its task and names the files it touched',
    files: ['libs/eventstore/src/event-store.ts', 'tools/bench/src/main.ts'],
  },
  metadata: {
    correlationId: randomUUID(),
    causationId: null,
    commandId: randomUUID(),
    actor: `agent:bench-${writer}`,
    time: new Date().toISOString(),
  },
});

/** The baseline stores exactly what the store is handed for one event, as one jsonb value. */
const baselineJson = (event: NewEvent) => JSON.stringify(event);

const valuesList = (rows: number) => Array.from({ length: rows }, (_, i) => `($${i + 1})`).join(',');

interface PhaseResult {
  seconds: number;
  /** Milliseconds per operation (one append / one INSERT statement). */
  latencies: number[];
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `writers` concurrent loops of `perWriter` awaited operations each; a bounded loop per writer. */
async function concurrently(
  writers: number,
  perWriter: number,
  timeoutMs: number,
  what: string,
  op: (writer: number, i: number) => Promise<void>,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let failed = false;
  const started = performance.now();
  const loops = Array.from({ length: writers }, async (_, writer) => {
    for (let i = 0; i < perWriter && !failed; i++) {
      const t0 = performance.now();
      await op(writer, i);
      latencies.push(performance.now() - t0);
    }
  });
  try {
    await withTimeout(Promise.all(loops), timeoutMs, what);
  } catch (error) {
    failed = true; // the other loops stop after their current operation
    await Promise.allSettled(loops);
    throw error;
  }
  return { seconds: (performance.now() - started) / 1000, latencies };
}

const percentile = (values: number[], p: number) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** Seconds a fresh subscribeToAll({ after: null }) needs to hand `total` events (of the filter's types) to a counting handler. */
async function catchUpWithSubscription(store: PostgresEventStore, total: number, o: EventStoreBenchOptions, filter?: EventFilter): Promise<number> {
  let delivered = 0;
  let lastPosition = 0;
  let reachedEnd!: () => void;
  const reached = new Promise<void>((resolve) => (reachedEnd = resolve));
  const started = performance.now();
  const subscription = store.subscribeToAll({ after: null, batchSize: o.pageSize, filter }, async (events: RecordedEvent[]) => {
    for (const e of events) {
      if (e.position <= lastPosition) throw new Error(`subscription went backwards: ${e.position} after ${lastPosition}`);
      if (filter && !filter.types.includes(e.type)) throw new Error(`filtered subscription delivered a ${e.type}`);
      lastPosition = e.position;
    }
    delivered += events.length;
    if (delivered >= total) reachedEnd();
  });
  let seconds: number;
  try {
    await withTimeout(
      Promise.race([reached, subscription.done.then(() => Promise.reject(new Error('subscription ended before catching up')))]),
      o.phaseTimeoutMs,
      'catch-up',
    );
    seconds = (performance.now() - started) / 1000;
  } finally {
    await subscription.stop();
  }
  if (delivered !== total) throw new Error(`catch-up delivered ${delivered} of ${total} events`);
  return seconds;
}

/** Seconds keyset paging over the baseline table takes to read all `total` rows (of one type, if given) on one connection. */
async function catchUpWithPaging(pool: Pool, table: string, total: number, pageSize: number, type?: string): Promise<number> {
  let read = 0;
  let lastId = 0;
  const started = performance.now();
  for (let page = 0; page <= Math.ceil(total / pageSize); page++) {
    const { rows } = await pool.query<{ id: string; payload: unknown }>(
      type === undefined
        ? `SELECT id, payload FROM ${table} WHERE id > $1 ORDER BY id LIMIT $2`
        : `SELECT id, payload FROM ${table} WHERE type = $3 AND id > $1 ORDER BY id LIMIT $2`,
      type === undefined ? [lastId, pageSize] : [lastId, pageSize, type],
    );
    if (rows.length === 0) break;
    read += rows.length;
    lastId = Number(rows[rows.length - 1].id);
  }
  const seconds = (performance.now() - started) / 1000;
  if (read !== total) throw new Error(`baseline paging read ${read} of ${total} rows`);
  return seconds;
}

/** Runs the pair in alternating order (autocoder first in even rounds) and keeps both medians. */
async function alternating(
  rounds: number,
  log: (line: string) => void,
  autocoder: (round: number) => Promise<number>,
  baseline: (round: number) => Promise<number>,
): Promise<{ autocoder: number; baseline: number }> {
  const a: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      a.push(await autocoder(round));
      b.push(await baseline(round));
    } else {
      b.push(await baseline(round));
      a.push(await autocoder(round));
    }
    log(`    round ${round + 1}: autocoder ${fmt(a[round])} events/s, baseline ${fmt(b[round])} events/s`);
  }
  return { autocoder: percentile(a, 50), baseline: percentile(b, 50) };
}

const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

export async function runEventStoreBench(ctx: BenchContext, overrides: Partial<EventStoreBenchOptions> = {}): Promise<BenchRow[]> {
  const o: EventStoreBenchOptions = { ...EVENTSTORE_BENCH_DEFAULTS, ...overrides };
  const schema = uniqueSchema('bench_es');
  const eventsTable = `${schema}.events`;
  const baseline = `${schema}.baseline`;
  const baselineTyped = `${schema}.baseline_typed`;
  const kind = (j: number) => `bench.Kind${j % o.catchUpTypes}`;
  // Every writer holds a connection, plus the store's LISTEN connection and a spare.
  const pool = new Pool({
    connectionString: ctx.databaseUrl,
    max: o.writers + 2,
    idleTimeoutMillis: 0,
    connectionTimeoutMillis: 10_000,
    application_name: 'autocoder-bench',
  });
  pool.on('error', () => undefined);
  let opened: PostgresEventStore | undefined;
  const count = async (table: string) => Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
  const insertRows = (rows: number) => `INSERT INTO ${baseline} (payload) VALUES ${valuesList(rows)}`;

  ctx.log(`schema ${schema}`);
  try {
    const store = (opened = await PostgresEventStore.open({ pool, schema }));
    await pool.query(`CREATE TABLE ${baseline} (id bigserial PRIMARY KEY, payload jsonb NOT NULL)`);
    // Only for the filtered catch-up: the append baselines keep their single index.
    await pool.query(`CREATE TABLE ${baselineTyped} (id bigserial PRIMARY KEY, type text NOT NULL, payload jsonb NOT NULL);
      CREATE INDEX ON ${baselineTyped} (type, id)`);
    const payloadBytes = Buffer.byteLength(baselineJson(makeEvent(0, 0)));
    const rows: BenchRow[] = [];

    // Fill both with exactly `catchUpEvents` (untimed), then read them back: benchmark 3.
    let catchUpRow: BenchRow;
    let filteredRow: BenchRow;
    {
      const total = o.catchUpEvents;
      const fill = 500;
      ctx.log(`storing ${total} events in ${fill}-event appends (untimed), and as many baseline rows`);
      for (let k = 0; k * fill < total; k++) {
        const batch = Array.from({ length: Math.min(fill, total - k * fill) }, (_, j) => ({ ...makeEvent(k % o.writers, j), type: kind(j) }));
        await store.append(`fill-${k}`, batch, 'no_stream');
        await pool.query(insertRows(batch.length), batch.map(baselineJson));
        await pool.query(
          `INSERT INTO ${baselineTyped} (type, payload) SELECT * FROM unnest($1::text[], $2::jsonb[])`,
          [batch.map((e) => e.type), batch.map(baselineJson)],
        );
      }
      if ((await count(eventsTable)) !== total || (await count(baseline)) !== total) throw new Error('fill: tables not filled to the same size');
      // Same starting line for both: hint bits set, visibility map and statistics fresh. The
      // ANALYZE also makes every session re-plan the store's statements for a table this size.
      await pool.query(`VACUUM (ANALYZE) ${eventsTable}`);
      await pool.query(`VACUUM (ANALYZE) ${baseline}`);
      await pool.query(`VACUUM (ANALYZE) ${baselineTyped}`);

      ctx.log(`catch-up over ${total} stored events, page size ${o.pageSize}, ${o.rounds} rounds`);
      const result = await alternating(
        o.rounds,
        ctx.log,
        async () => total / (await catchUpWithSubscription(store, total, o)),
        async () => total / (await catchUpWithPaging(pool, baseline, total, o.pageSize)),
      );
      catchUpRow = {
        benchmark: `catch-up, subscribeToAll over ${total} events`,
        unit: 'events/s',
        ...result,
        detail:
          `median of ${o.rounds}, page size ${o.pageSize}, handler only counts; ` +
          `baseline = SELECT id, payload ... WHERE id > $1 ORDER BY id LIMIT ${o.pageSize}, page after page on one connection`,
      };

      const wanted = kind(3);
      const ofKind = Number((await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${eventsTable} WHERE type = $1`, [wanted])).rows[0].n);
      ctx.log(`filtered catch-up: the ${ofKind} events of one type in ${o.catchUpTypes} among ${total}, ${o.rounds} rounds`);
      const filtered = await alternating(
        o.rounds,
        ctx.log,
        async () => ofKind / (await catchUpWithSubscription(store, ofKind, o, { types: [wanted] })),
        async () => ofKind / (await catchUpWithPaging(pool, baselineTyped, ofKind, o.pageSize, wanted)),
      );
      filteredRow = {
        benchmark: `filtered catch-up, 1 type in ${o.catchUpTypes} of ${total} events`,
        unit: 'events/s',
        ...filtered,
        detail:
          `median of ${o.rounds}, ${ofKind} events delivered, page size ${o.pageSize}; baseline = SELECT id, payload ... ` +
          `WHERE type = $1 AND id > $2 ORDER BY id LIMIT ${o.pageSize} over a table with a (type, id) index`,
      };
    }

    // Warm-up on every path, so each of the writers' connections exists and has run each statement.
    {
      const expected: ExpectedRevision[] = Array(o.writers).fill('no_stream');
      await concurrently(o.writers, o.warmupPerWriter, o.phaseTimeoutMs, 'warm-up', async (w, i) => {
        expected[w] = (await store.append(`warmup-${w}`, [makeEvent(w, i)], expected[w])).nextExpectedRevision;
        const batch = Array.from({ length: o.batchSize }, (_, k) => makeEvent(w, k));
        expected[w] = (await store.append(`warmup-${w}`, batch, expected[w])).nextExpectedRevision;
        await pool.query(insertRows(1), [baselineJson(makeEvent(w, i))]);
        await pool.query(insertRows(o.batchSize), batch.map(baselineJson));
      });
    }

    const latencies = { autocoder: [] as number[], baseline: [] as number[] };
    const timedRun = (phase: Promise<PhaseResult>, into: number[], eventCount: number) =>
      phase.then((r) => {
        into.push(...r.latencies);
        return eventCount / r.seconds;
      });
    const latencyDetail = () =>
      `per-statement latency autocoder p50 ${percentile(latencies.autocoder, 50).toFixed(1)} ms / p99 ${percentile(latencies.autocoder, 99).toFixed(1)} ms, ` +
      `baseline p50 ${percentile(latencies.baseline, 50).toFixed(1)} ms / p99 ${percentile(latencies.baseline, 99).toFixed(1)} ms`;

    // 1. One event per append.
    {
      const total = o.writers * o.appendsPerWriter;
      ctx.log(`single appends: ${o.writers} writers x ${o.appendsPerWriter} appends of 1 event (${payloadBytes} B JSON each), ${o.rounds} rounds`);
      latencies.autocoder = [];
      latencies.baseline = [];
      const result = await alternating(
        o.rounds,
        ctx.log,
        async (round) => {
          const expected: ExpectedRevision[] = Array(o.writers).fill('no_stream');
          const before = await count(eventsTable);
          const rate = await timedRun(
            concurrently(o.writers, o.appendsPerWriter, o.phaseTimeoutMs, 'single appends', async (w, i) => {
              const stream = `single-${round}-${w}`;
              const appended = await store.append(stream, [makeEvent(w, i)], expected[w]);
              if (appended.nextExpectedRevision !== i) throw new Error(`${stream}: revision ${appended.nextExpectedRevision}, expected ${i}`);
              expected[w] = appended.nextExpectedRevision;
            }),
            latencies.autocoder,
            total,
          );
          if ((await count(eventsTable)) - before !== total) throw new Error('single appends: wrong number of events stored');
          return rate;
        },
        () =>
          timedRun(
            concurrently(o.writers, o.appendsPerWriter, o.phaseTimeoutMs, 'single inserts', async (w, i) => {
              await pool.query(insertRows(1), [baselineJson(makeEvent(w, i))]);
            }),
            latencies.baseline,
            total,
          ),
      );
      rows.push({
        benchmark: `append, 1 event per append, ${o.writers} writers`,
        unit: 'events/s',
        ...result,
        detail: `${total} events per round, median of ${o.rounds}; baseline = one-row autocommit INSERT; ${latencyDetail()}`,
      });
    }

    // 2. Batches per append.
    {
      const total = o.writers * o.batchesPerWriter * o.batchSize;
      ctx.log(`batched appends: ${o.writers} writers x ${o.batchesPerWriter} appends of ${o.batchSize} events, ${o.rounds} rounds`);
      latencies.autocoder = [];
      latencies.baseline = [];
      const result = await alternating(
        o.rounds,
        ctx.log,
        async (round) => {
          const expected: ExpectedRevision[] = Array(o.writers).fill('no_stream');
          const before = await count(eventsTable);
          const rate = await timedRun(
            concurrently(o.writers, o.batchesPerWriter, o.phaseTimeoutMs, 'batched appends', async (w, i) => {
              const stream = `batch-${round}-${w}`;
              const batch = Array.from({ length: o.batchSize }, (_, k) => makeEvent(w, i * o.batchSize + k));
              const appended = await store.append(stream, batch, expected[w]);
              if (appended.nextExpectedRevision !== (i + 1) * o.batchSize - 1) throw new Error(`${stream}: unexpected revision ${appended.nextExpectedRevision}`);
              expected[w] = appended.nextExpectedRevision;
            }),
            latencies.autocoder,
            total,
          );
          if ((await count(eventsTable)) - before !== total) throw new Error('batched appends: wrong number of events stored');
          return rate;
        },
        () =>
          timedRun(
            concurrently(o.writers, o.batchesPerWriter, o.phaseTimeoutMs, 'batched inserts', async (w, i) => {
              const batch = Array.from({ length: o.batchSize }, (_, k) => makeEvent(w, i * o.batchSize + k));
              await pool.query(insertRows(o.batchSize), batch.map(baselineJson));
            }),
            latencies.baseline,
            total,
          ),
      );
      rows.push({
        benchmark: `append, ${o.batchSize} events per append, ${o.writers} writers`,
        unit: 'events/s',
        ...result,
        detail: `${total} events per round, median of ${o.rounds}; baseline = ${o.batchSize}-row INSERT per statement; ${latencyDetail()}`,
      });
    }

    rows.push(catchUpRow, filteredRow);
    return rows;
  } finally {
    await opened?.close().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((error: Error) => ctx.log(`could not drop schema ${schema}: ${error.message}`));
    await pool.end();
  }
}
