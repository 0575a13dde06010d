/**
 * The coordinator's task pipeline under load, end to end over the real NATS and Postgres:
 *
 *  - the coordinator runs as its own child process(es) (`apps/coordinator/src/main.ts`) with a
 *    unique AUTOCODER_SCHEMA_PREFIX and AUTOCODER_NATS_PREFIX, so the run shares neither tables
 *    nor subjects with anything else on the servers;
 *  - the admin registers A agents and creates T ready tasks through the coordinator's subjects;
 *  - the A agents then loop concurrently, each on its own NATS connection: claim-next, one task
 *    heartbeat, status claimed -> in_progress -> review -> done, until no task is left.
 *
 * Measured: claims per second over the agent phase, claim latency (p50/p99 of claim-next round
 * trips that got a task), total duration, and double claims (a task with more than one
 * TaskClaimed event, or two successful claim answers for one task): any double claim fails the
 * run. Beside it, the event store's raw single-event append rate (16 writers, as in the
 * `eventstore` benchmark) measured in the same run on the same database, in a fresh schema.
 *
 * Rough profile of where the time goes, without touching the coordinator's code:
 *  - the coordinator's connections are named (PGAPPNAME) and sampled in pg_stat_activity;
 *  - table, index and function statistics of the run's own schemas (PGOPTIONS turns on
 *    track_functions for the coordinator's sessions, so append_events calls are counted);
 *  - CPU time of the coordinator process(es), the bench process, Postgres and nats-server.
 *
 * Environment: BENCH_NATS_URL (default nats://127.0.0.1:4222), BENCH_TASKS (10000),
 * BENCH_AGENTS (200), BENCH_COORDINATORS (1), BENCH_SPECIALIZATIONS (1: every agent competes for
 * every task), BENCH_CLAIM (next: claim-next; id: each agent claims its own share of the ids,
 * so nobody competes), BENCH_COORDINATOR_TIMEOUT_SEC (1200, the agent phase),
 * BENCH_REQUEST_TIMEOUT_SEC (600), BENCH_CPU_PROF (a directory: profile the coordinator with --cpu-prof),
 * BENCH_COORDINATOR_ROOT (another checkout to run the coordinator from, e.g. the code before a
 * change, measured by this same benchmark).
 *
 * The run gets a database of its own (created and dropped on the server of the given URL), so the
 * server's per-database counters (transactions committed) are the run's alone.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client, Pool } from 'pg';
import {
  AutocoderError,
  ErrorCodes,
  Subjects,
  TaskPriorities,
  type Actor,
  type ClaimResult,
  type RegisterAgentResult,
  type TaskHeartbeatResult,
  type TaskView,
} from '@autocoder/contracts';
import { PostgresEventStore, type ExpectedRevision } from '@autocoder/eventstore';
import { NatsMessageBus } from '@autocoder/messaging';
import { TEST_NATS_URL, uniqueSchema } from '@autocoder/testing';
import { makeEvent, withTimeout } from './eventstore-bench';
import type { BenchContext, BenchRow } from './main';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');
const S = Subjects.coordinator;

export interface CoordinatorBenchOptions {
  natsUrl: string;
  agents: number;
  tasks: number;
  /** Coordinator processes in the `coordinator` queue group. */
  coordinators: number;
  /** Agent i has specialization i mod n, task k needs k mod n: 1 means everyone competes for everything. */
  specializations: number;
  /**
   * `next`: agents ask claim-next (every agent competes for the same top candidates).
   * `id`: agent i claims its own share of the task ids with claim (no two agents ever want the
   * same task): the same pipeline without the contention, for comparison.
   */
  claim: 'next' | 'id';
  leaseTtlSec: number;
  requestTimeoutMs: number;
  /** When set, the coordinator runs with --cpu-prof and writes its profile there on exit. */
  cpuProfileDir: string | null;
  /** The checkout whose apps/coordinator runs (default: this one). */
  coordinatorRoot: string;
  /** Concurrent requests while registering agents and creating tasks. */
  setupConcurrency: number;
  /** The agent phase fails the run past this. */
  runTimeoutMs: number;
  /** pg_stat_activity sampling period during the agent phase. */
  sampleMs: number;
  /** Raw append baseline: as `eventstore` benchmark 1. */
  appendWriters: number;
  appendsPerWriter: number;
  appendRounds: number;
  appendFill: number;
}

const envInt = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
};

export const coordinatorBenchDefaults = (): CoordinatorBenchOptions => ({
  natsUrl: process.env.BENCH_NATS_URL ?? TEST_NATS_URL,
  agents: envInt('BENCH_AGENTS', 200, 1, 2000),
  tasks: envInt('BENCH_TASKS', 10_000, 1, 1_000_000),
  coordinators: envInt('BENCH_COORDINATORS', 1, 1, 8),
  specializations: envInt('BENCH_SPECIALIZATIONS', 1, 1, 50),
  claim: (() => {
    const mode = process.env.BENCH_CLAIM ?? 'next';
    if (mode !== 'next' && mode !== 'id') throw new Error(`BENCH_CLAIM must be next or id, got "${mode}"`);
    return mode;
  })(),
  leaseTtlSec: 600,
  // Long on purpose: a claim-next under contention can take longer than the bus's 10 s default, and
  // a resend after 30 s lets the command log take the still-running command over (see the docs).
  requestTimeoutMs: envInt('BENCH_REQUEST_TIMEOUT_SEC', 600, 1, 3600) * 1000,
  cpuProfileDir: process.env.BENCH_CPU_PROF || null,
  coordinatorRoot: process.env.BENCH_COORDINATOR_ROOT ? resolve(process.env.BENCH_COORDINATOR_ROOT) : REPO_ROOT,
  setupConcurrency: 32,
  runTimeoutMs: envInt('BENCH_COORDINATOR_TIMEOUT_SEC', 1200, 10, 7200) * 1000,
  sampleMs: 100,
  appendWriters: 16,
  appendsPerWriter: 500,
  appendRounds: 3,
  appendFill: 50_000,
});

// ---------------------------------------------------------------------------------------------
// small helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const fmt1 = (n: number) => n.toLocaleString('en-US', { maximumFractionDigits: 1, minimumFractionDigits: 1 });

const percentile = (values: number[], p: number) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const lat = (values: number[]) =>
  values.length ? `p50 ${percentile(values, 50).toFixed(1)} ms / p99 ${percentile(values, 99).toFixed(1)} ms / max ${percentile(values, 100).toFixed(0)} ms (n=${values.length})` : 'n=0';


/** Runs `count` jobs with at most `width` in flight; the first failure stops handing out more. */
async function bounded(count: number, width: number, job: (i: number) => Promise<void>) {
  let next = 0;
  let failed = false;
  const lanes = Array.from({ length: Math.min(width, count) }, async () => {
    while (!failed && next < count) {
      const i = next++;
      try {
        await job(i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  });
  const results = await Promise.allSettled(lanes);
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

// ---------------------------------------------------------------------------------------------
// the raw append baseline (a port of `eventstore` benchmark 1, store side only)


/** Events/s of `writers` concurrent single-event appenders on a fresh store of `appendFill` events; median of rounds. */
async function rawAppendRate(ctx: BenchContext, schema: string, o: CoordinatorBenchOptions): Promise<{ rate: number; rounds: number[]; latencies: number[] }> {
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: o.appendWriters + 2, idleTimeoutMillis: 0, connectionTimeoutMillis: 10_000, application_name: 'autocoder-bench' });
  pool.on('error', () => undefined);
  let store: PostgresEventStore | undefined;
  try {
    // Each append its own transaction, all writers at once, as before the store batched appends: the
    // baseline stays the same measure of the server.
    store = await PostgresEventStore.open({ pool, schema, maxAppendsPerBatch: 1, appendsInFlight: o.appendWriters });
    for (let k = 0; k * 500 < o.appendFill; k++) {
      await store.append(`fill-${k}`, Array.from({ length: Math.min(500, o.appendFill - k * 500) }, (_, j) => makeEvent(k % o.appendWriters, j)), 'no_stream');
    }
    await pool.query(`VACUUM (ANALYZE) ${schema}.events`);
    const loop = async (streamOf: (w: number) => string, perWriter: number, latencies?: number[]) => {
      const expected: ExpectedRevision[] = Array(o.appendWriters).fill('no_stream');
      const started = performance.now();
      await withTimeout(
        Promise.all(
          Array.from({ length: o.appendWriters }, async (_, w) => {
            for (let i = 0; i < perWriter; i++) {
              const t0 = performance.now();
              const appended = await store!.append(streamOf(w), [makeEvent(w, i)], expected[w]);
              latencies?.push(performance.now() - t0);
              if (appended.nextExpectedRevision !== i) throw new Error(`raw append: revision ${appended.nextExpectedRevision}, expected ${i}`);
              expected[w] = appended.nextExpectedRevision;
            }
          }),
        ),
        120_000,
        'raw appends',
      );
      return (o.appendWriters * perWriter) / ((performance.now() - started) / 1000);
    };
    await loop((w) => `warmup-${w}`, 5);
    const rounds: number[] = [];
    const latencies: number[] = [];
    for (let round = 0; round < o.appendRounds; round++) {
      rounds.push(await loop((w) => `single-${round}-${w}`, o.appendsPerWriter, latencies));
      ctx.log(`    round ${round + 1}: ${fmt(rounds[round])} events/s`);
    }
    return { rate: percentile(rounds, 50), rounds, latencies };
  } finally {
    await store?.close().catch(() => undefined);
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((error: Error) => ctx.log(`could not drop schema ${schema}: ${error.message}`));
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------
// coordinator child processes

interface Coordinator {
  label: string;
  child: ChildProcess;
  pid: number;
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  running(): boolean;
}

async function startCoordinator(label: string, env: NodeJS.ProcessEnv, o: CoordinatorBenchOptions, timeoutMs = 90_000): Promise<Coordinator> {
  const profile = o.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(o.cpuProfileDir)}`] : [];
  const child = spawn(process.execPath, [...profile, '-r', '@swc-node/register', 'apps/coordinator/src/main.ts'], { cwd: o.coordinatorRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let running = true;
  const append = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-200_000));
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => {
    child.once('exit', (code, signal) => ((running = false), r({ code, signal })));
    child.once('error', (error) => ((output += `\n[spawn error] ${error.message}`), (running = false), r({ code: null, signal: null })));
  });
  const coordinator: Coordinator = { label, child, pid: child.pid ?? -1, output: () => output, exited, running: () => running };
  const deadline = Date.now() + timeoutMs;
  while (!/Coordinator serving on/.test(output)) {
    if (!running) throw new Error(`${label} exited before it served; output:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${label} did not serve within ${timeoutMs} ms; output:\n${output.slice(-4000)}`);
    }
    await sleep(100);
  }
  return coordinator;
}

async function stopCoordinator(c: Coordinator) {
  if (!c.running()) return;
  c.child.kill('SIGTERM');
  const stopped = await Promise.race([c.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!stopped) {
    c.child.kill('SIGKILL');
    await c.exited;
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting from /proc (Linux only; elsewhere the numbers are left out)

let clockTicks = 100;
try {
  clockTicks = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
} catch {
  /* keep 100 */
}

const procCpuSeconds = (pid: number): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks; // utime, stime
  } catch {
    return null;
  }
};

/** CPU seconds of every live process whose command name is `comm` (and whose title matches `title`), by pid. */
const cpuByComm = (comm: string, title?: (cmdline: string) => boolean): Map<number, number> => {
  const result = new Map<number, number>();
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return result;
  }
  for (const pid of pids) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== comm) continue;
      if (title && !title(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' '))) continue;
      const seconds = procCpuSeconds(Number(pid));
      if (seconds !== null) result.set(Number(pid), seconds);
    } catch {
      /* gone */
    }
  }
  return result;
};

/** Busy and total CPU seconds of the whole machine. */
const machineCpu = (): { busy: number; total: number } | null => {
  try {
    const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const v = values.map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = v[3] + v[4];
    return { busy: (total - idle) / clockTicks, total: total / clockTicks };
  } catch {
    return null;
  }
};

interface CpuSnapshot {
  coordinators: (number | null)[];
  bench: NodeJS.CpuUsage;
  postgres: Map<number, number>;
  /** The backends serving the run's own database (a backend's title names its database). */
  postgresOurs: Map<number, number>;
  /** The server's background processes (WAL writer, checkpointer, autovacuum), shared with its other users. */
  postgresBackground: Map<number, number>;
  nats: Map<number, number>;
  machine: { busy: number; total: number } | null;
}

const cpuSnapshot = (coordinators: Coordinator[], database: string | null): CpuSnapshot => ({
  coordinators: coordinators.map((c) => procCpuSeconds(c.pid)),
  bench: process.cpuUsage(),
  postgres: cpuByComm('postgres'),
  postgresOurs: database ? cpuByComm('postgres', (title) => title.includes(` ${database} `)) : new Map(),
  postgresBackground: cpuByComm('postgres', (title) => !/ \d+\.\d+\.\d+\.\d+\(\d+\)| \[local\]/.test(title)),
  nats: cpuByComm('nats-server'),
  machine: machineCpu(),
});

const mapDelta = (before: Map<number, number>, after: Map<number, number>) => {
  let sum = 0;
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0);
  return sum;
};

// ---------------------------------------------------------------------------------------------
// Postgres statistics of the run's own schemas

interface StatsSnapshot {
  tables: Map<string, { seq_scan: number; idx_scan: number; n_tup_ins: number; n_tup_upd: number; n_tup_del: number }>;
  /** Scans and index entries read, per index. */
  indexes: Map<string, { scans: number; read: number }>;
  functions: Map<string, { calls: number; total_time: number; self_time: number }>;
}

async function statsSnapshot(client: Client, schemas: string[]): Promise<StatsSnapshot> {
  const tables = await client.query(
    `SELECT schemaname || '.' || relname AS name, seq_scan, coalesce(idx_scan, 0) AS idx_scan, n_tup_ins, n_tup_upd, n_tup_del
       FROM pg_stat_user_tables WHERE schemaname = ANY($1)`,
    [schemas],
  );
  const indexes = await client.query(`SELECT schemaname || '.' || indexrelname AS name, idx_scan, idx_tup_read FROM pg_stat_user_indexes WHERE schemaname = ANY($1)`, [
    schemas,
  ]);
  const functions = await client.query(`SELECT schemaname || '.' || funcname AS name, calls, total_time, self_time FROM pg_stat_user_functions WHERE schemaname = ANY($1)`, [schemas]);
  return {
    tables: new Map(tables.rows.map((r) => [r.name, { seq_scan: +r.seq_scan, idx_scan: +r.idx_scan, n_tup_ins: +r.n_tup_ins, n_tup_upd: +r.n_tup_upd, n_tup_del: +r.n_tup_del }])),
    indexes: new Map(indexes.rows.map((r) => [r.name, { scans: +r.idx_scan, read: +r.idx_tup_read }])),
    functions: new Map(functions.rows.map((r) => [r.name, { calls: +r.calls, total_time: +r.total_time, self_time: +r.self_time }])),
  };
}

// ---------------------------------------------------------------------------------------------
// pg_stat_activity sampling of the coordinator's connections

/** What a coordinator connection is doing, by the statement it runs (or last ran). */
function classify(query: string): string {
  const q = query.replace(/\s+/g, ' ');
  if (/append_events/.test(q)) return 'append_events (store)';
  if (/\.events WHERE stream_id/.test(q)) return 'readStream (store)';
  if (/\.events WHERE position >/.test(q)) return 'readAll (projectors)';
  if (/^INSERT INTO \S+\.processed_commands \(command_id, subject, fingerprint\)/.test(q)) return 'command log: reserve id';
  if (/^INSERT INTO \S+\.processed_commands \(command_id, subject, fingerprint, owner, progress\)/.test(q)) return 'command log: reserve id';
  if (/^UPDATE \S+\.processed_commands SET reply = /.test(q) || /^INSERT INTO \S+\.processed_commands \(command_id, owner, reply/.test(q)) return 'command log: answer';
  if (/processed_commands/.test(q)) return 'command log: other';
  // TypeORM query builders alias the table "t"; the text may be cut at track_activity_query_size.
  if (/NOT EXISTS \(SELECT 1 FROM unnest/.test(q)) return 'claim-next candidates';
  if (/"t"\."lease_expires_at" <=/.test(q)) return 'lease expiry sweep';
  if (/^SELECT "t"\."task_id" AS "t_task_id"/.test(q)) return 'claim-next candidates (text cut: or the lease sweep)';
  if (/^INSERT INTO \S+\.tasks \(/.test(q)) return 'tasks read model: write';
  if (/projection_checkpoints/.test(q)) return 'projector checkpoint';
  if (/"tasks"/.test(q)) return /^SELECT/.test(q) ? 'tasks read model: select' : 'tasks read model: write';
  if (/"agents"/.test(q)) return 'agents read model';
  if (/^(BEGIN|START TRANSACTION)/i.test(q)) return 'BEGIN';
  if (/^COMMIT/i.test(q)) return 'COMMIT';
  if (/^ROLLBACK/i.test(q)) return 'ROLLBACK';
  if (/^LISTEN/i.test(q)) return 'LISTEN';
  return 'other';
}

class ActivitySampler {
  samples = 0;
  /** Per connection state and statement class: how many sampled connections were in it. */
  readonly counts = new Map<string, number>();
  readonly connections: number[] = [];
  private timer?: NodeJS.Timeout;
  private busy = false;

  constructor(
    private readonly client: Client,
    private readonly appPrefix: string,
    private readonly periodMs: number,
  ) {}

  start() {
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.sample()
        .catch(() => undefined)
        .finally(() => (this.busy = false));
    }, this.periodMs);
  }

  async stop() {
    clearInterval(this.timer);
    while (this.busy) await sleep(10);
  }

  private async sample() {
    const { rows } = await this.client.query<{ state: string | null; wait_event_type: string | null; wait_event: string | null; query: string }>(
      `SELECT state, wait_event_type, wait_event, query FROM pg_stat_activity WHERE application_name LIKE $1 AND pid <> pg_backend_pid()`,
      [`${this.appPrefix}%`],
    );
    this.samples++;
    this.connections.push(rows.length);
    for (const r of rows) {
      const what = classify(r.query ?? '');
      let key: string;
      if (r.state === 'active') {
        const wait = r.wait_event_type && r.wait_event_type !== 'Client' ? ` [waits ${r.wait_event_type}:${r.wait_event}]` : '';
        key = `active    ${what}${wait}`;
      } else if (r.state === 'idle in transaction') key = `idle in tx (last: ${what})`;
      else if (what === 'LISTEN') key = 'idle (LISTEN connections)';
      else key = `idle`;
      this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    }
  }

  report(): string[] {
    if (!this.samples) return ['no samples'];
    const meanConnections = this.connections.reduce((a, b) => a + b, 0) / this.samples;
    const lines = [`${this.samples} samples, ${fmt1(meanConnections)} coordinator connections on average; mean connections per state/statement:`];
    for (const [key, n] of [...this.counts].sort((a, b) => b[1] - a[1])) lines.push(`  ${(n / this.samples).toFixed(2).padStart(6)}  ${key}`);
    return lines;
  }
}

// ---------------------------------------------------------------------------------------------
// a database of the run's own

async function createOwnDatabase(ctx: BenchContext, name: string): Promise<{ name: string; url: string; drop(): Promise<void> } | null> {
  const server = new Client({ connectionString: ctx.databaseUrl, connectionTimeoutMillis: 10_000, application_name: 'autocoder-bench' });
  await server.connect();
  try {
    await server.query(`CREATE DATABASE ${name}`);
  } catch (error) {
    ctx.log(`could not create database ${name} (${(error as Error).message}); running in the given database`);
    await server.end();
    return null;
  }
  await server.end();
  const url = new URL(ctx.databaseUrl);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const dropper = new Client({ connectionString: ctx.databaseUrl, connectionTimeoutMillis: 10_000, application_name: 'autocoder-bench' });
      await dropper.connect();
      await dropper.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: Error) => ctx.log(`could not drop database ${name}: ${error.message}`));
      await dropper.end();
    },
  };
}

async function transactionCounts(client: Client): Promise<{ commits: number; rollbacks: number }> {
  const { rows } = await client.query(`SELECT xact_commit, xact_rollback FROM pg_stat_database WHERE datname = current_database()`);
  return { commits: Number(rows[0].xact_commit), rollbacks: Number(rows[0].xact_rollback) };
}

// ---------------------------------------------------------------------------------------------
// the run

interface AgentHandle {
  index: number;
  employeeId: string;
  agentId: string;
  specialization: number;
  bus: NatsMessageBus;
  actor: Actor;
}

interface ClaimAnswer {
  agent: number;
  fencingToken: number;
  at: number;
}

export async function runCoordinatorBench(benchCtx: BenchContext, overrides: Partial<CoordinatorBenchOptions> = {}): Promise<BenchRow[]> {
  const o: CoordinatorBenchOptions = { ...coordinatorBenchDefaults(), ...overrides };
  let ctx = benchCtx;
  const prefix = uniqueSchema('bench_co'); // also the NATS prefix and the coordinator's application_name prefix
  const esSchema = `${prefix}_eventstore`;
  const coSchema = `${prefix}_coordinator`;
  const rawSchema = `${prefix}_raw`;
  const schemas = [esSchema, coSchema];
  const home = mkdtempSync(join(tmpdir(), 'autocoder-bench-'));
  // A database of the run's own, so that its counters (transactions committed) are the run's alone.
  const ownDatabase = await createOwnDatabase(ctx, prefix);
  ctx = { ...ctx, databaseUrl: ownDatabase?.url ?? ctx.databaseUrl };
  const admin = new Client({ connectionString: ctx.databaseUrl, connectionTimeoutMillis: 10_000, application_name: 'autocoder-bench' });
  // pg_stat_activity shows the whole server: the sampler stays out of the run's database and its counts.
  const sampler = new Client({ connectionString: benchCtx.databaseUrl, connectionTimeoutMillis: 10_000, application_name: 'autocoder-bench-sampler' });
  const coordinators: Coordinator[] = [];
  const buses: NatsMessageBus[] = [];
  await admin.connect();
  await sampler.connect();
  ctx.log(`prefix ${prefix} (schemas ${schemas.join(', ')}; NATS subjects ${prefix}.coordinator.*)`);
  ctx.log(
    `${o.agents} agents, ${o.tasks} tasks, ${o.coordinators} coordinator process(es), ${o.specializations} specialization(s), claim by ${o.claim === 'next' ? 'claim-next' : 'task id (own share each)'}, lease ${o.leaseTtlSec} s, NATS ${o.natsUrl}`,
  );

  try {
    // 1. The store's raw append rate, before anything else runs.
    ctx.log(`raw append baseline: fresh schema ${rawSchema}, ${o.appendFill} events stored first, then ${o.appendWriters} writers x ${o.appendsPerWriter} single-event appends, ${o.appendRounds} rounds`);
    const raw = await rawAppendRate(ctx, rawSchema, o);
    ctx.log(`  raw append rate ${fmt(raw.rate)} events/s (median), per-append ${lat(raw.latencies)}`);

    // 2. The coordinator(s).
    const childEnv = (i: number): NodeJS.ProcessEnv => {
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        DATABASE_URL: ctx.databaseUrl,
        NATS_URL: o.natsUrl,
        AUTOCODER_SCHEMA_PREFIX: prefix,
        AUTOCODER_NATS_PREFIX: prefix,
        AUTOCODER_HOME: home,
        LOG_LEVEL: 'warn',
        // The simulated agents send task heartbeats only; keep the offline sweep from marking them.
        AUTOCODER_AGENT_OFFLINE_AFTER_SEC: '86400',
        // Names the coordinator's connections for pg_stat_activity, and counts append_events calls.
        PGAPPNAME: `${prefix}_c${i + 1}`,
        PGOPTIONS: '-c track_functions=pl',
      };
      delete env.EVENTSTORE_URL;
      delete env.NODE_OPTIONS;
      return env;
    };
    for (let i = 0; i < o.coordinators; i++) {
      const started = performance.now();
      coordinators.push(await startCoordinator(`coordinator ${i + 1}`, childEnv(i), o));
      ctx.log(`coordinator ${i + 1} serving (pid ${coordinators[i].pid}) after ${((performance.now() - started) / 1000).toFixed(1)} s`);
    }

    const natsPrefix = `${prefix}.`;
    const adminBus = await NatsMessageBus.connect(o.natsUrl, `${prefix}-admin`, natsPrefix);
    buses.push(adminBus);
    const adminActor: Actor = { kind: 'admin' };
    let retries = 0;
    const request = async <T>(bus: NatsMessageBus, subject: string, actor: Actor, payload: unknown, counters?: Map<string, number>): Promise<T> => {
      const envelope = { commandId: randomUUID(), correlationId: randomUUID(), actor, payload };
      for (let attempt = 1; ; attempt++) {
        counters?.set(subject, (counters.get(subject) ?? 0) + 1);
        try {
          return await bus.request<T>(subject, envelope, o.requestTimeoutMs);
        } catch (error) {
          // Unavailable: the request or its answer did not make it; the same command id is safe to resend.
          if (error instanceof AutocoderError && error.code === ErrorCodes.Unavailable && attempt < 5) {
            retries++;
            ctx.log(`  retrying ${subject} (${error.message})`);
            await sleep(200 * attempt);
            continue;
          }
          throw error;
        }
      }
    };

    // 3. Agents (each on its own NATS connection) and tasks, as the admin.
    const projectId = randomUUID();
    const createdBy = randomUUID();
    const agents: AgentHandle[] = [];
    let setupStarted = performance.now();
    await bounded(o.agents, o.setupConcurrency, async (i) => {
      const employeeId = randomUUID();
      const bus = await NatsMessageBus.connect(o.natsUrl, `${prefix}-agent-${i}`, natsPrefix);
      buses.push(bus);
      const registered = await request<RegisterAgentResult>(adminBus, S.registerAgent, adminActor, {
        employeeId,
        name: `bench agent ${i}`,
        specializationCodes: [`bench-${i % o.specializations}`],
      });
      agents[i] = { index: i, employeeId, agentId: registered.agentId, specialization: i % o.specializations, bus, actor: { kind: 'agent', agentId: registered.agentId, employeeId } };
    });
    const registerSeconds = (performance.now() - setupStarted) / 1000;
    ctx.log(`registered ${o.agents} agents (each with its own NATS connection) in ${registerSeconds.toFixed(1)} s`);

    setupStarted = performance.now();
    const tasksPerSpecialization = Array<number>(o.specializations).fill(0);
    const taskIds: string[] = [];
    await bounded(o.tasks, o.setupConcurrency, async (k) => {
      const spec = k % o.specializations;
      tasksPerSpecialization[spec]++;
      taskIds[k] = (
        await request<TaskView>(adminBus, S.createTask, adminActor, {
        projectId,
        title: `bench task ${k}`,
        description: 'a benchmark task: claim it, report once, take it through in_progress and review to done',
        requiredSpecializationCode: `bench-${spec}`,
        createdBy,
        priority: TaskPriorities[k % TaskPriorities.length],
        status: 'ready',
      })
      ).taskId;
    });
    // claim by id: agent i of specialization s takes every n-th task of s, n = agents of s.
    const shareOf = (a: AgentHandle): string[] => {
      const peers = agents.filter((p) => p.specialization === a.specialization);
      const own = taskIds.filter((_, k) => k % o.specializations === a.specialization);
      const rank = peers.indexOf(a);
      return own.filter((_, j) => j % peers.length === rank);
    };
    const createSeconds = (performance.now() - setupStarted) / 1000;
    ctx.log(`created ${o.tasks} ready tasks in ${createSeconds.toFixed(1)} s (${fmt(o.tasks / createSeconds)} creates/s, ${o.setupConcurrency} in flight)`);

    const readyCount = async () => Number((await admin.query(`SELECT count(*) AS n FROM ${coSchema}.tasks WHERE status = 'ready'`)).rows[0].n);
    const waitStarted = performance.now();
    for (;;) {
      const n = await readyCount();
      if (n === o.tasks) break;
      if (performance.now() - waitStarted > 120_000) throw new Error(`the tasks read model lists ${n} of ${o.tasks} ready tasks after 120 s`);
      await sleep(200);
    }
    ctx.log(`read model lists all ${o.tasks} ready tasks ${((performance.now() - waitStarted) / 1000).toFixed(1)} s after the last create answered`);
    // Let every backend flush its pending statistics (Postgres 15 flushes idle sessions within 10 s).
    await sleep(11_000);
    const statsBefore = await statsSnapshot(admin, schemas);
    const phaseStartedAt = (await admin.query<{ at: string }>(`SELECT now()::text AS at`)).rows[0].at;
    const headBefore = Number((await admin.query<{ head: string | null }>(`SELECT max(position) AS head FROM ${esSchema}.events`)).rows[0].head ?? 0);
    const commitsBefore = await transactionCounts(admin);
    const cpuBefore = cpuSnapshot(coordinators, ownDatabase?.name ?? null);

    // 4. The agents at work.
    const claimLatencies: number[] = [];
    const nullLatencies: number[] = [];
    const heartbeatLatencies: number[] = [];
    const statusLatencies: number[] = [];
    const requests = new Map<string, number>();
    const claimedBy = new Map<string, ClaimAnswer[]>();
    const claimedPerSpecialization = Array<number>(o.specializations).fill(0);
    let claims = 0;
    let claimsOver10s = 0; // longer than the bus's default request timeout (the gateway's too)
    let claimsOver30s = 0; // longer than the command log's staleAfterMs: a resend would take the command over
    let completed = 0;
    let nullsWhileMany = 0; // more unclaimed tasks than agents: certainly not "nothing left"
    let nullsNearEnd = 0;
    let aborted = false;
    const progress: string[] = [];
    const activity = new ActivitySampler(sampler, prefix, o.sampleMs);

    const agentLoop = async (a: AgentHandle) => {
      const total = tasksPerSpecialization[a.specialization];
      const share = o.claim === 'id' ? shareOf(a) : [];
      while (!aborted && claimedPerSpecialization[a.specialization] < total) {
        if (o.claim === 'id' && share.length === 0) return;
        const t0 = performance.now();
        const claim =
          o.claim === 'next'
            ? await request<ClaimResult | null>(a.bus, S.claimNextTask, a.actor, { employeeId: a.employeeId, leaseTtlSec: o.leaseTtlSec }, requests)
            : await request<ClaimResult>(a.bus, S.claimTask, a.actor, { taskId: share.shift()!, employeeId: a.employeeId, leaseTtlSec: o.leaseTtlSec }, requests);
        const ms = performance.now() - t0;
        if (!claim) {
          nullLatencies.push(ms);
          const unclaimed = total - claimedPerSpecialization[a.specialization];
          if (unclaimed > o.agents) nullsWhileMany++;
          else if (unclaimed > 0) nullsNearEnd++;
          if (unclaimed > 0) await sleep(50);
          continue;
        }
        claimLatencies.push(ms);
        if (ms > 10_000) claimsOver10s++;
        if (ms > 30_000) claimsOver30s++;
        claims++;
        claimedPerSpecialization[a.specialization]++;
        const taskId = claim.task.taskId;
        const answers = claimedBy.get(taskId) ?? [];
        answers.push({ agent: a.index, fencingToken: claim.fencingToken, at: Date.now() });
        claimedBy.set(taskId, answers);
        const fencingToken = claim.fencingToken;

        let t = performance.now();
        await request<TaskHeartbeatResult>(a.bus, S.heartbeatTask, a.actor, { taskId, employeeId: a.employeeId, fencingToken }, requests);
        heartbeatLatencies.push(performance.now() - t);
        for (const status of ['in_progress', 'review', 'done'] as const) {
          t = performance.now();
          const view = await request<TaskView>(a.bus, S.changeTaskStatus, a.actor, { taskId, employeeId: a.employeeId, status, fencingToken }, requests);
          statusLatencies.push(performance.now() - t);
          if (view.status !== status) throw new Error(`task ${taskId}: asked for ${status}, the answer says ${view.status}`);
        }
        completed++;
      }
    };

    ctx.log(`agent phase: ${o.agents} agents loop ${o.claim === 'next' ? 'claim-next' : 'claim <own task id>'} -> heartbeat -> in_progress -> review -> done (timeout ${o.runTimeoutMs / 1000} s)`);
    activity.start();
    const runStarted = performance.now();
    let lastTick = { at: runStarted, claims: 0 };
    const ticker = setInterval(() => {
      const now = performance.now();
      const line = `  t=${((now - runStarted) / 1000).toFixed(0)} s: ${fmt(claims)} claimed, ${fmt(completed)} done, ${fmt1(((claims - lastTick.claims) * 1000) / (now - lastTick.at))} claims/s over the last ${((now - lastTick.at) / 1000).toFixed(0)} s, nulls ${nullsWhileMany + nullsNearEnd}`;
      progress.push(line);
      ctx.log(line);
      lastTick = { at: now, claims };
    }, o.tasks >= 5000 ? 30_000 : 10_000);
    const loops = agents.map((a) =>
      agentLoop(a).catch((error) => {
        aborted = true;
        throw error;
      }),
    );
    let runSeconds: number;
    try {
      await withTimeout(Promise.all(loops), o.runTimeoutMs, `the agent phase (${o.tasks} tasks)`);
      runSeconds = (performance.now() - runStarted) / 1000;
    } catch (error) {
      aborted = true;
      await Promise.allSettled(loops);
      throw error;
    } finally {
      clearInterval(ticker);
      await activity.stop();
    }
    const cpuAfter = cpuSnapshot(coordinators, ownDatabase?.name ?? null);
    for (const c of coordinators) if (!c.running()) throw new Error(`${c.label} exited during the run; output:\n${c.output().slice(-4000)}`);
    ctx.log(`agent phase done: ${fmt(claims)} claims, ${fmt(completed)} tasks done in ${runSeconds.toFixed(1)} s`);
    await sleep(11_000);
    const statsAfter = await statsSnapshot(admin, schemas);
    const commitsAfter = await transactionCounts(admin);
    // Rows one transaction wrote share its xmin: the transactions that appended (a batch of appends is
    // one), and those that reserved command ids (reservations made at once share one INSERT).
    const reserveTransactions = Number(
      (
        await admin.query<{ n: string }>(`SELECT count(DISTINCT xmin::text) AS n FROM ${coSchema}.processed_commands WHERE started_at >= $1::timestamptz`, [
          phaseStartedAt,
        ])
      ).rows[0].n,
    );
    const appendTransactions = Number(
      (await admin.query<{ n: string }>(`SELECT count(DISTINCT xmin::text) AS n FROM ${esSchema}.events WHERE position > $1`, [headBefore])).rows[0].n,
    );

    // 5. Checks: every task done once, no double claims.
    const { rows: perType } = await admin.query<{ type: string; n: string }>(`SELECT type, count(*) AS n FROM ${esSchema}.events WHERE stream_id LIKE 'task-%' GROUP BY type ORDER BY type`);
    const typeCounts = Object.fromEntries(perType.map((r) => [r.type, Number(r.n)]));
    const { rows: multi } = await admin.query<{ stream_id: string; events: { type: string; agentId?: string; to?: string }[] }>(
      `SELECT stream_id, json_agg(json_build_object('type', type, 'agentId', data->>'agentId', 'to', data->>'to') ORDER BY revision) AS events
         FROM ${esSchema}.events WHERE stream_id LIKE 'task-%'
        GROUP BY stream_id HAVING count(*) FILTER (WHERE type = 'TaskClaimed') > 1`,
    );
    let doubleClaimEvents = 0; // a TaskClaimed while the previous lease was neither released, expired nor finished
    for (const stream of multi) {
      let held = false;
      for (const e of stream.events) {
        if (e.type === 'TaskClaimed') {
          if (held) doubleClaimEvents++;
          held = true;
        } else if (e.type === 'TaskReleased' || e.type === 'LeaseExpired') held = false;
        else if (e.type === 'TaskStatusChanged' && !['claimed', 'in_progress', 'review'].includes(e.to ?? '')) held = false;
      }
    }
    const doubleAnswers = [...claimedBy.values()].filter((answers) => answers.length > 1);
    const { rows: doneRows } = await admin.query<{ n: string }>(`SELECT count(*) AS n FROM ${coSchema}.tasks WHERE status = 'done'`);
    const releases = (typeCounts.TaskReleased ?? 0) + (typeCounts.LeaseExpired ?? 0);
    ctx.log(`events per type on task streams: ${JSON.stringify(typeCounts)}`);
    ctx.log(
      `double claims: ${multi.length} task(s) with more than one TaskClaimed event (${doubleClaimEvents} while the lease was held), ` +
        `${doubleAnswers.length} task(s) with more than one successful claim answer; releases/expiries ${releases}`,
    );

    // 6. Numbers and the rough profile.
    const claimsPerSecond = claims / runSeconds;
    const appendsPerTask = 5; // TaskClaimed, LeaseExtended, 3 x TaskStatusChanged
    const eventsAppended = claims * appendsPerTask;
    const roundTrips = [...requests.values()].reduce((a, b) => a + b, 0);
    ctx.log('');
    ctx.log(`claims/s ${fmt1(claimsPerSecond)} over ${runSeconds.toFixed(1)} s; coordinator appends ${fmt(eventsAppended / runSeconds)} events/s; raw store ${fmt(raw.rate)} events/s`);
    ctx.log(`${o.claim === 'next' ? 'claim-next' : 'claim'} with a task ${lat(claimLatencies)}`);
    // The first wave (every agent asks at once) and the last tasks (many agents after few tasks) apart from the steady state.
    const steady = claimLatencies.slice(Math.floor(claimLatencies.length * 0.1), Math.ceil(claimLatencies.length * 0.9));
    ctx.log(`  of them claims 10%-90% of the run, in answer order: ${lat(steady)}; the first 10%: ${lat(claimLatencies.slice(0, Math.floor(claimLatencies.length * 0.1)))}`);
    ctx.log(`claims answered after more than 10 s: ${claimsOver10s}, after more than 30 s: ${claimsOver30s} (of ${claims})`);
    ctx.log(`claim-next answered null ${lat(nullLatencies)}: ${nullsWhileMany} while more than ${o.agents} tasks were unclaimed, ${nullsNearEnd} near the end`);
    ctx.log(`task heartbeat ${lat(heartbeatLatencies)}; status change ${lat(statusLatencies)}`);
    ctx.log(
      `NATS round trips: ${fmt(roundTrips)} (${(roundTrips / Math.max(1, claims)).toFixed(2)} per task: ${[...requests].map(([s, n]) => `${s.split('.').slice(-1)[0]} ${fmt(n)}`).join(', ')}); retries ${retries}`,
    );
    const perClaim = (n: number) => (n / Math.max(1, claims)).toFixed(2);
    const tableDelta = (name: string) => {
      const a = statsAfter.tables.get(name);
      const b = statsBefore.tables.get(name) ?? { seq_scan: 0, idx_scan: 0, n_tup_ins: 0, n_tup_upd: 0, n_tup_del: 0 };
      return a ? { seq_scan: a.seq_scan - b.seq_scan, idx_scan: a.idx_scan - b.idx_scan, ins: a.n_tup_ins - b.n_tup_ins, upd: a.n_tup_upd - b.n_tup_upd, del: a.n_tup_del - b.n_tup_del } : null;
    };
    const indexDelta = (name: string) => {
      const a = statsAfter.indexes.get(name) ?? { scans: 0, read: 0 };
      const b = statsBefore.indexes.get(name) ?? { scans: 0, read: 0 };
      return { scans: a.scans - b.scans, read: a.read - b.read };
    };
    ctx.log('Postgres work during the agent phase, per claimed task (table and index statistics of the run schemas):');
    for (const name of [...statsAfter.tables.keys()].sort()) {
      const d = tableDelta(name)!;
      if (d.seq_scan + d.idx_scan + d.ins + d.upd + d.del === 0) continue;
      ctx.log(`  ${name.padEnd(60)} seq scans ${perClaim(d.seq_scan)}, index scans ${perClaim(d.idx_scan)}, rows inserted ${perClaim(d.ins)}, updated ${perClaim(d.upd)}, deleted ${perClaim(d.del)}`);
    }
    for (const name of [...statsAfter.indexes.keys()].sort()) {
      const d = indexDelta(name);
      if (d.scans) ctx.log(`  index ${name.padEnd(54)} scans ${perClaim(d.scans)}, entries read ${perClaim(d.read)} (${(d.read / d.scans).toFixed(1)} per scan)`);
    }
    const fn = (() => {
      const a = statsAfter.functions.get(`${esSchema}.append_events`);
      const b = statsBefore.functions.get(`${esSchema}.append_events`) ?? { calls: 0, total_time: 0, self_time: 0 };
      return a ? { calls: a.calls - b.calls, totalMs: a.total_time - b.total_time } : null;
    })();
    if (fn) {
      ctx.log(
        `  append_events: ${fmt(fn.calls)} calls (${perClaim(fn.calls)} per task, ${fmt(fn.calls - eventsAppended)} did not append), ` +
          `${(fn.totalMs / Math.max(1, fn.calls)).toFixed(2)} ms each inside Postgres (waiting for the advisory lock included), ${fmt1(fn.totalMs / 1000)} s in all`,
      );
    }
    const commits = commitsAfter.commits - commitsBefore.commits;
    const rollbacks = commitsAfter.rollbacks - commitsBefore.rollbacks;
    // The statements that write: each is a transaction of its own that must reach the disk.
    const written = (name: string) => {
      const d = tableDelta(name);
      return d ? d.ins + d.upd + d.del : 0;
    };
    const commandLogWrites = written(`${coSchema}.processed_commands`);
    const projectorTransactions = written(`${coSchema}.projection_checkpoints`);
    // A row's xmin is its last writer's: an answer stored by an UPDATE (and a release's DELETE) was a transaction of its own.
    const commandLogDelta = tableDelta(`${coSchema}.processed_commands`);
    const commandLogTransactions = reserveTransactions + (commandLogDelta ? commandLogDelta.upd + commandLogDelta.del : 0);
    const writeCommits = commandLogTransactions + appendTransactions + projectorTransactions;
    ctx.log(
      ownDatabase
        ? `transactions committed in the run's database during the agent phase: ${fmt(commits)} (${perClaim(commits)} per task, read-only ones included; ${fmt(rollbacks)} rolled back)`
        : `transactions committed: not counted (the run could not create a database of its own)`,
    );
    ctx.log(
      `  of which wrote: about ${perClaim(writeCommits)} per task = command log ${perClaim(commandLogTransactions)} (transactions; ${perClaim(commandLogWrites)} rows written) + appends ${perClaim(appendTransactions)} (transactions; ${perClaim(fn?.calls ?? 0)} append_events calls) + projector batches ${perClaim(projectorTransactions)} (every projector's, one checkpoint update each)`,
    );
    for (const line of activity.report()) ctx.log(line);

    const cpu = (() => {
      const lines: string[] = [];
      const coord = coordinators.map((c, i) => ((cpuAfter.coordinators[i] ?? NaN) - (cpuBefore.coordinators[i] ?? NaN)));
      const bench = (cpuAfter.bench.user - cpuBefore.bench.user + cpuAfter.bench.system - cpuBefore.bench.system) / 1e6;
      const postgres = mapDelta(cpuBefore.postgres, cpuAfter.postgres);
      const postgresOurs = mapDelta(cpuBefore.postgresOurs, cpuAfter.postgresOurs);
      const postgresBackground = mapDelta(cpuBefore.postgresBackground, cpuAfter.postgresBackground);
      const nats = mapDelta(cpuBefore.nats, cpuAfter.nats);
      const machine = cpuBefore.machine && cpuAfter.machine ? { busy: cpuAfter.machine.busy - cpuBefore.machine.busy, total: cpuAfter.machine.total - cpuBefore.machine.total } : null;
      const share = (s: number) => `${fmt1(s)} s (${((100 * s) / runSeconds).toFixed(0)}% of one core, ${((1000 * s) / Math.max(1, claims)).toFixed(2)} ms per task)`;
      lines.push('CPU during the agent phase:');
      coord.forEach((s, i) => lines.push(`  coordinator ${i + 1} (pid ${coordinators[i].pid}) ${share(s)}`));
      lines.push(`  bench process (${o.agents} agents, NATS clients) ${share(bench)}`);
      lines.push(`  postgres (all backends of the cluster) ${share(postgres)}`);
      if (ownDatabase) {
        lines.push(`    of it the backends of the run's database ${share(postgresOurs)}`);
        lines.push(`    and the server's background processes (WAL writer, checkpointer, autovacuum; shared) ${share(postgresBackground)}`);
      }
      lines.push(`  nats-server ${share(nats)}`);
      if (machine) {
        const cores = machine.total / runSeconds;
        const other = machine.busy - coord.reduce((a, b) => a + b, 0) - bench - postgres - nats;
        lines.push(`  machine: ${fmt1(machine.busy)} of ${fmt1(machine.total)} CPU-seconds busy (${((100 * machine.busy) / machine.total).toFixed(0)}% of ${cores.toFixed(1)} cores); everything else ${fmt1(other)} s`);
      }
      return { lines, coord, bench, postgres };
    })();
    for (const line of cpu.lines) ctx.log(line);

    // Fail loudly: a double claim, or a run that did not take every task to done exactly once.
    const problems: string[] = [];
    if (doubleClaimEvents > 0 || multi.length > 0) problems.push(`${multi.length} task(s) have more than one TaskClaimed event (${doubleClaimEvents} while the lease was held)`);
    if (doubleAnswers.length > 0) {
      const sample = doubleAnswers.slice(0, 3).map((answers) => answers.map((a) => `agent ${a.agent} token ${a.fencingToken}`).join(' & '));
      problems.push(`${doubleAnswers.length} task(s) were answered as claimed to more than one request: ${sample.join('; ')}`);
    }
    if (claims !== o.tasks) problems.push(`${claims} successful claims for ${o.tasks} tasks`);
    if (Number(doneRows[0].n) !== o.tasks) problems.push(`the read model lists ${doneRows[0].n} of ${o.tasks} tasks as done`);
    if ((typeCounts.TaskClaimed ?? 0) !== o.tasks || (typeCounts.TaskStatusChanged ?? 0) !== 3 * o.tasks || (typeCounts.LeaseExtended ?? 0) !== o.tasks) {
      problems.push(`unexpected events on task streams: ${JSON.stringify(typeCounts)}`);
    }
    if (releases > 0) problems.push(`${releases} release(s)/lease expiries during the run`);
    if (problems.length) throw new Error(`coordinator benchmark FAILED:\n  - ${problems.join('\n  - ')}`);

    const detail =
      `${o.tasks} tasks, ${o.agents} agents over NATS, ${o.coordinators} coordinator process(es), ${runSeconds.toFixed(1)} s; ` +
      `${o.claim === 'next' ? 'claim-next' : 'claim (own task id)'} latency p50 ${percentile(claimLatencies, 50).toFixed(1)} ms / p99 ${percentile(claimLatencies, 99).toFixed(1)} ms; ` +
      `${claimsOver10s} claim answers took more than 10 s; null answers while tasks were left ${nullsWhileMany + nullsNearEnd}; ` +
      `double claims 0; ${(roundTrips / claims).toFixed(2)} NATS round trips per task; ` +
      `baseline = raw PostgresEventStore single-event appends (${o.appendWriters} writers, fresh schema, median of ${o.appendRounds}) ${fmt(raw.rate)} events/s` +
      ` divided by the ${appendsPerTask} appends each task takes`;
    return [
      {
        benchmark: `coordinator, claims (${o.claim === 'next' ? 'claim-next' : 'claim by id'} + heartbeat + 3 status), ${o.agents} agents`,         unit: 'claims/s',
        autocoder: claimsPerSecond,
        baseline: raw.rate / appendsPerTask,
        detail,
      },
      {
        benchmark: `coordinator, events appended during that run`,
        unit: 'events/s',
        autocoder: eventsAppended / runSeconds,
        baseline: raw.rate,
        detail: `${appendsPerTask} appends of one event per task; baseline = the raw single-event append rate, ${o.appendWriters} writers (per append ${lat(raw.latencies)})`,
      },
    ];
  } finally {
    await Promise.allSettled(buses.map((b) => b.close()));
    await Promise.allSettled(coordinators.map(stopCoordinator));
    for (const schema of [...schemas, rawSchema]) {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch((error: Error) => ctx.log(`could not drop schema ${schema}: ${error.message}`));
    }
    for (const c of coordinators) {
      // pino writes the level as its label (platform/logger.ts).
      const warnings = c.output().split('\n').filter((l) => /"level":("warn"|"error"|"fatal"|40|50|60)/.test(l));
      if (warnings.length) ctx.log(`${c.label} logged ${warnings.length} warning/error line(s); last: ${warnings.slice(-3).join(' | ').slice(0, 2000)}`);
    }
    await sampler.end().catch(() => undefined);
    await admin.end().catch(() => undefined);
    await ownDatabase?.drop();
    rmSync(home, { recursive: true, force: true });
  }
}
