/**
 * Lists under load: `GET /api/coord/agents?limit=500` and the GraphQL `agents` query, each asked by
 * N concurrent clients, beside a plain `SELECT` of the same 500 rows through `pg`, in the same run.
 *
 *  - Autocoder runs as `npm start` runs it (apps/autocoder/src/main.ts: gateway and coordinator in
 *    one process, in-process transport) in a child process, on the real Postgres, in schemas of its
 *    own (AUTOCODER_SCHEMA_PREFIX). A child keeps the load generator off the server's event loop;
 *    the baseline's clients live in this process as well, so both sides pay the same client costs.
 *  - The admin registers 500 agents over REST (every other one then sends a heartbeat with
 *    metadata, so both null and set heartbeat fields are listed).
 *  - Each measurement is a fixed time of N client loops, each awaiting one request after another
 *    over a keep-alive connection; rounds alternate which side goes first, the median is reported.
 *  - Then the same over NATS (NATS_URL and AUTOCODER_NATS_PREFIX set: gateway and coordinator still
 *    in one process, but every request crosses nats-server), unless BENCH_LISTS_NATS=0.
 *
 * Every answer is checked: status 200 and the byte length of the first answer (the rows do not change
 * during the run: the offline sweep is moved out of the way). The first answer is parsed and must
 * hold all the agents.
 *
 * Environment: BENCH_LISTS_AGENTS (500), BENCH_LISTS_CLIENTS (8), BENCH_LISTS_SECONDS (5, per round),
 * BENCH_LISTS_ROUNDS (3), BENCH_LISTS_CHANGES (0: heartbeats per second sent during the rounds, so the read model
 * moves and kept lists are read again; answers may then differ by a few bytes), BENCH_LISTS_NATS (1), BENCH_NATS_URL (default nats://127.0.0.1:4222),
 * BENCH_CPU_PROF (a directory: the server runs with --cpu-prof; see profile-top.ts), BENCH_LISTS_SIDES
 * (REST,GraphQL,SELECT: leave sides out to profile one alone).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Pool } from 'pg';
import { TEST_NATS_URL, uniqueSchema } from '@autocoder/testing';
import { withTimeout } from './eventstore-bench';
import type { BenchContext, BenchRow } from './main';

const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export interface ListsBenchOptions {
  agents: number;
  clients: number;
  secondsPerRound: number;
  rounds: number;
  /** Also measure with every request crossing nats-server. */
  nats: boolean;
  natsUrl: string;
  /** Which of REST, GraphQL and SELECT to measure. */
  sides: string[];
  cpuProfileDir: string | null;
  /** Heartbeats per second while the rounds run (each moves the agents projection): 0 keeps the rows still. */
  changesPerSec: number;
}

const envInt = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
};

export const listsBenchDefaults = (): ListsBenchOptions => ({
  agents: envInt('BENCH_LISTS_AGENTS', 500, 1, 1000),
  clients: envInt('BENCH_LISTS_CLIENTS', 8, 1, 256),
  secondsPerRound: envInt('BENCH_LISTS_SECONDS', 5, 1, 600),
  rounds: envInt('BENCH_LISTS_ROUNDS', 3, 1, 21),
  nats: envInt('BENCH_LISTS_NATS', 1, 0, 1) === 1,
  natsUrl: process.env.BENCH_NATS_URL ?? TEST_NATS_URL,
  sides: (process.env.BENCH_LISTS_SIDES ?? 'REST,GraphQL,SELECT').split(',').map((s) => s.trim()),
  cpuProfileDir: process.env.BENCH_CPU_PROF || null,
  changesPerSec: envInt('BENCH_LISTS_CHANGES', 0, 0, 1000),
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 }));

const percentile = (values: number[], p: number) => {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};
const ms = (n: number) => (n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`);

/** Every agent field the REST answer carries, asked for in GraphQL too. */
export const AGENTS_QUERY = `query Agents($limit: Int) { agents(filter: { limit: $limit }) {
  agentId employeeId name endpointUrl specializationCodes capabilities ownerEmployeeId status statusMetadata
  lastHeartbeatAt registeredAt updatedAt revision } }`;

// ---------------------------------------------------------------------------------------------
// the server: apps/autocoder as a child process

interface Server {
  child: ChildProcess;
  pid: number;
  url: string;
  output(): string;
  exited: Promise<unknown>;
  running(): boolean;
}

async function startServer(env: NodeJS.ProcessEnv, cpuProfileDir: string | null, timeoutMs = 90_000): Promise<Server> {
  const profile = cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${resolve(cpuProfileDir)}`] : [];
  const child = spawn(process.execPath, [...profile, '-r', '@swc-node/register', 'apps/autocoder/src/main.ts'], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let running = true;
  const append = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-200_000));
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const exited = new Promise((r) => {
    child.once('exit', (code, signal) => ((running = false), r({ code, signal })));
    child.once('error', (error) => ((output += `\n[spawn error] ${error.message}`), (running = false), r(null)));
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const listening = /Autocoder listening on (http:\/\/\S+)/.exec(output);
    if (listening) return { child, pid: child.pid ?? -1, url: listening[1], output: () => output, exited, running: () => running };
    if (!running) throw new Error(`autocoder exited before it listened; output:\n${output.slice(-4000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`autocoder did not listen within ${timeoutMs} ms; output:\n${output.slice(-4000)}`);
    }
    await sleep(100);
  }
}

async function stopServer(server: Server) {
  if (!server.running()) return;
  server.child.kill('SIGTERM');
  const stopped = await Promise.race([server.exited.then(() => true), sleep(15_000).then(() => false)]);
  if (!stopped) {
    server.child.kill('SIGKILL');
    await server.exited;
  }
}

const procCpuSeconds = (pid: number): number | null => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s on Linux)
  } catch {
    return null;
  }
};

/** CPU seconds of every Postgres process by pid (backends included); null off Linux. */
const postgresCpuSeconds = (): Map<number, number> | null => {
  const result = new Map<number, number>();
  try {
    for (const pid of readdirSync('/proc')) {
      if (!/^\d+$/.test(pid)) continue;
      try {
        if (readFileSync(`/proc/${pid}/comm`, 'utf8').trim() !== 'postgres') continue;
        const seconds = procCpuSeconds(Number(pid));
        if (seconds !== null) result.set(Number(pid), seconds);
      } catch {
        /* gone */
      }
    }
  } catch {
    return null;
  }
  return result;
};

/** CPU used between two snapshots by the processes alive at the second (a backend that ended in between is lost). */
const cpuDelta = (before: Map<number, number>, after: Map<number, number>) => {
  let sum = 0;
  for (const [pid, seconds] of after) sum += seconds - (before.get(pid) ?? 0);
  return sum;
};

// ---------------------------------------------------------------------------------------------
// a small HTTP client: keep-alive, body read as bytes (the clients should cost as little as possible)

interface HttpAnswer {
  status: number;
  body: Buffer;
}

function send(agent: Agent, url: URL, method: string, headers: Record<string, string>, body?: string): Promise<HttpAnswer> {
  return new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      { agent, host: url.hostname, port: url.port, path: url.pathname + url.search, method, headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body).toString() } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

// ---------------------------------------------------------------------------------------------
// measuring

interface Measurement {
  /** Requests per second over the round. */
  rate: number;
  latencies: number[];
  requests: number;
  /** CPU seconds the server process used during the round (null for the baseline). */
  serverCpu: number | null;
  benchCpu: number;
  /** CPU seconds of every Postgres process during the round (other work on the machine's Postgres included). */
  postgresCpu: number | null;
}

type Op = () => Promise<void>;

/** `clients` loops of awaited `op` calls for `seconds`; every latency is kept. */
async function measure(clients: number, seconds: number, op: Op, serverPid: number | null): Promise<Measurement> {
  const latencies: number[] = [];
  const stopAt = performance.now() + seconds * 1000;
  const serverBefore = serverPid === null ? null : procCpuSeconds(serverPid);
  const postgresBefore = postgresCpuSeconds();
  const benchBefore = process.cpuUsage();
  const started = performance.now();
  await withTimeout(
    Promise.all(
      Array.from({ length: clients }, async () => {
        while (performance.now() < stopAt) {
          const t0 = performance.now();
          await op();
          latencies.push(performance.now() - t0);
        }
      }),
    ),
    seconds * 1000 + 120_000,
    'list requests',
  );
  const elapsed = (performance.now() - started) / 1000;
  const serverAfter = serverPid === null ? null : procCpuSeconds(serverPid);
  const bench = process.cpuUsage(benchBefore);
  const postgresAfter = postgresCpuSeconds();
  return {
    rate: latencies.length / elapsed,
    latencies,
    requests: latencies.length,
    serverCpu: serverBefore === null || serverAfter === null ? null : serverAfter - serverBefore,
    benchCpu: (bench.user + bench.system) / 1e6,
    postgresCpu: postgresBefore === null || postgresAfter === null ? null : cpuDelta(postgresBefore, postgresAfter),
  };
}

interface Side {
  name: string;
  op: Op;
  serverPid: number | null;
  /** Runs before each measurement of the side. */
  prepare?: () => void;
}

/** Rounds of every side in turn (the first side rotates), `warmup` requests each first. */
async function rounds(ctx: BenchContext, sides: Side[], o: ListsBenchOptions): Promise<Map<string, Measurement[]>> {
  const results = new Map<string, Measurement[]>(sides.map((s) => [s.name, []]));
  for (const side of sides) {
    side.prepare?.();
    await measure(o.clients, 1, side.op, null); // warm-up: JIT, connections, plans
  }
  for (let round = 0; round < o.rounds; round++) {
    const order = sides.map((_, i) => sides[(i + round) % sides.length]);
    for (const side of order) {
      side.prepare?.();
      const m = await measure(o.clients, o.secondsPerRound, side.op, side.serverPid);
      results.get(side.name)!.push(m);
      ctx.log(`    round ${round + 1} ${side.name.padEnd(8)} ${fmt(m.rate)} requests/s, p50 ${ms(percentile(m.latencies, 50))}, p99 ${ms(percentile(m.latencies, 99))}`);
    }
  }
  return results;
}

const median = (ms: Measurement[]) => percentile(ms.map((m) => m.rate), 50);
const allLatencies = (ms: Measurement[]) => ms.flatMap((m) => m.latencies);
const cpuPerRequest = (ms: Measurement[], pick: (m: Measurement) => number | null) => {
  const requests = ms.reduce((a, m) => a + m.requests, 0);
  const cpu = ms.reduce((a, m) => a + (pick(m) ?? NaN), 0);
  return (cpu * 1000) / requests;
};

// ---------------------------------------------------------------------------------------------
// one system: start, fill, measure

async function runOne(ctx: BenchContext, label: string, pool: Pool, o: ListsBenchOptions, nats: boolean): Promise<BenchRow[]> {
  const prefix = uniqueSchema('bench_li');
  const schema = `${prefix}_coordinator`;
  const home = mkdtempSync(join(tmpdir(), 'autocoder-bench-lists-'));
  const adminToken = `adm_bench_${randomUUID()}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    AUTOCODER_HOME: home,
    AUTOCODER_ADMIN_TOKEN: adminToken,
    DATABASE_URL: ctx.databaseUrl,
    AUTOCODER_SCHEMA_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    // The rows must not change under the clients: nobody is marked offline during the run.
    AUTOCODER_AGENT_OFFLINE_AFTER_SEC: '86400',
    NATS_URL: nats ? o.natsUrl : '',
    AUTOCODER_NATS_PREFIX: nats ? prefix : '',
  };
  delete env.EVENTSTORE_URL;
  ctx.log(`${label}: starting autocoder (schemas ${prefix}_*${nats ? `, NATS ${o.natsUrl} prefix ${prefix}` : ', in-process transport'})`);
  const server = await startServer(env, o.cpuProfileDir);
  const newAgent = () => new Agent({ keepAlive: true, maxSockets: Math.max(o.clients, 16) });
  let agent = newAgent();
  // Fresh connections for each measurement: one left idle through another side's round can meet the
  // server's keep-alive timeout (5 s) just as it is reused, and the request fails with ECONNRESET.
  const freshConnections = () => {
    agent.destroy();
    agent = newAgent();
  };
  const url = new URL(server.url);
  const auth = { authorization: `Bearer ${adminToken}` };
  try {
    // fill: register every agent, heartbeat every other one
    const filled = performance.now();
    let next = 0;
    let changer: { employeeId: string; apiKey: string } | null = null;
    await withTimeout(
      Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next < o.agents) {
            const i = next++;
            const employeeId = randomUUID();
            const registration = {
              employee_id: employeeId,
              name: `bench-agent-${String(i).padStart(4, '0')}`,
              endpoint_url: `https://agent-host-${i % 7}.example/api`,
              specialization_codes: ['planning', 'backend', 'research'].slice(0, 1 + (i % 3)),
              capabilities: { tools: ['web', 'db'], models: ['claude-3'], max_parallel: 1 + (i % 4) },
              owner_employee_id: i % 5 === 0 ? null : randomUUID(),
            };
            const res = await send(agent, new URL('/api/coord/agents/register', url), 'POST', { ...auth, 'content-type': 'application/json' }, JSON.stringify(registration));
            if (res.status !== 200) throw new Error(`register answered ${res.status}: ${res.body.toString('utf8').slice(0, 500)}`);
            if (i % 2 === 0) {
              const apiKey = JSON.parse(res.body.toString('utf8')).api_key as string;
              if (i === 0) changer = { employeeId, apiKey };
              const beat = { employee_id: employeeId, status: 'active', metadata: { load: (i % 10) / 10, queue: i % 3 } };
              const hb = await send(agent, new URL('/api/coord/agents/heartbeat', url), 'POST', { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, JSON.stringify(beat));
              if (hb.status !== 200) throw new Error(`heartbeat answered ${hb.status}: ${hb.body.toString('utf8').slice(0, 500)}`);
            }
          }
        }),
      ),
      300_000,
      'registering agents',
    );
    // wait until the read model holds every agent at its last revision
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await pool.query<{ n: number; beats: number }>(
        `SELECT count(*)::int AS n, count(last_heartbeat_at)::int AS beats FROM ${schema}.agents`,
      );
      if (rows[0].n === o.agents && rows[0].beats === Math.ceil(o.agents / 2)) break;
      if (Date.now() > deadline) throw new Error(`the agents read model holds ${rows[0].n} agents (${rows[0].beats} with heartbeats) after 60 s`);
      await sleep(100);
    }
    await pool.query(`VACUUM (ANALYZE) ${schema}.agents`);
    ctx.log(`${label}: ${o.agents} agents registered in ${((performance.now() - filled) / 1000).toFixed(1)} s`);

    // the three sides, each checked once in full and then by status and length
    const restUrl = new URL(`/api/coord/agents?limit=${o.agents}`, url);
    const gqlUrl = new URL('/graphql', url);
    const gqlBody = JSON.stringify({ query: AGENTS_QUERY, variables: { limit: o.agents } });
    const selectSql = `SELECT * FROM ${schema}.agents ORDER BY registered_at, agent_id LIMIT $1`;

    const first = await send(agent, restUrl, 'GET', auth);
    const restAgents = JSON.parse(first.body.toString('utf8')).agents as unknown[];
    if (first.status !== 200 || restAgents.length !== o.agents) throw new Error(`REST list: status ${first.status}, ${restAgents?.length} agents`);
    const firstGql = await send(agent, gqlUrl, 'POST', { ...auth, 'content-type': 'application/json' }, gqlBody);
    const gqlAgents = JSON.parse(firstGql.body.toString('utf8')).data?.agents as unknown[];
    if (firstGql.status !== 200 || gqlAgents?.length !== o.agents) throw new Error(`GraphQL list: status ${firstGql.status}: ${firstGql.body.toString('utf8').slice(0, 500)}`);
    const restBytes = first.body.length;
    const gqlBytes = firstGql.body.length;
    // With changes, a revision or a time may gain a digit: the length is then only roughly the first one's.
    const slack = o.changesPerSec > 0 ? 64 : 0;
    const sizeOk = (bytes: number, expected: number) => Math.abs(bytes - expected) <= slack;

    const sides: Side[] = [
      {
        name: 'REST',
        serverPid: server.pid,
        prepare: freshConnections,
        op: async () => {
          const res = await send(agent, restUrl, 'GET', auth);
          if (res.status !== 200 || !sizeOk(res.body.length, restBytes)) throw new Error(`REST list: status ${res.status}, ${res.body.length} bytes (first: ${restBytes})`);
        },
      },
      {
        name: 'GraphQL',
        serverPid: server.pid,
        prepare: freshConnections,
        op: async () => {
          const res = await send(agent, gqlUrl, 'POST', { ...auth, 'content-type': 'application/json' }, gqlBody);
          if (res.status !== 200 || !sizeOk(res.body.length, gqlBytes)) throw new Error(`GraphQL list: status ${res.status}, ${res.body.length} bytes (first: ${gqlBytes})`);
        },
      },
      {
        name: 'SELECT',
        serverPid: null,
        op: async () => {
          const { rows } = await pool.query(selectSql, [o.agents]);
          if (rows.length !== o.agents) throw new Error(`SELECT: ${rows.length} rows`);
        },
      },
    ];
    // The changes: one agent's heartbeat (same status and metadata) at a steady rate, each a new revision.
    let changes = 0;
    let changing = o.changesPerSec > 0 && changer !== null;
    const changed = (async () => {
      const { employeeId, apiKey } = changer ?? { employeeId: '', apiKey: '' };
      const beat = JSON.stringify({ employee_id: employeeId, status: 'active', metadata: { load: 0, queue: 0 } });
      const changeAgent = new Agent({ keepAlive: true, maxSockets: 1 });
      while (changing) {
        const started = performance.now();
        const hb = await send(changeAgent, new URL('/api/coord/agents/heartbeat', url), 'POST', { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, beat);
        if (hb.status !== 200) throw new Error(`heartbeat answered ${hb.status}: ${hb.body.toString('utf8').slice(0, 500)}`);
        changes++;
        await sleep(Math.max(0, 1000 / o.changesPerSec - (performance.now() - started)));
      }
      changeAgent.destroy();
    })();
    const changesStarted = performance.now();
    let results: Map<string, Measurement[]>;
    try {
      results = await rounds(ctx, sides.filter((s) => o.sides.includes(s.name)), o);
    } finally {
      changing = false;
      await changed;
    }
    if (o.changesPerSec > 0) ctx.log(`${label}: ${changes} heartbeats during the rounds (${fmt(changes / ((performance.now() - changesStarted) / 1000))}/s)`);
    const select = results.get('SELECT') ?? [];
    const baseline = median(select);
    const cpu = (m: Measurement[], pick: (x: Measurement) => number | null) => `${cpuPerRequest(m, pick).toFixed(2)} ms`;
    const lat = (m: Measurement[]) => `p50 ${ms(percentile(allLatencies(m), 50))} / p99 ${ms(percentile(allLatencies(m), 99))}`;
    return (['REST', 'GraphQL'] as const).filter((name) => results.has(name)).map((name) => {
      const m = results.get(name)!;
      return {
        benchmark: `${name} list of ${o.agents} agents, ${o.clients} clients${nats ? ', over NATS' : ''}${o.changesPerSec ? `, ${o.changesPerSec} changes/s` : ''}`,
        unit: 'requests/s',
        autocoder: median(m),
        baseline,
        detail:
          `${lat(m)}; CPU per request: server ${cpu(m, (x) => x.serverCpu)}, Postgres ${cpu(m, (x) => x.postgresCpu)}, clients ${cpu(m, (x) => x.benchCpu)}; ` +
          `answer ${(name === 'REST' ? restBytes : gqlBytes).toLocaleString('en-US')} bytes. Baseline \`${selectSql.replace('$1', String(o.agents))}\` through pg ` +
          `(pool of ${o.clients}): ${lat(select)}; CPU per request: Postgres ${cpu(select, (x) => x.postgresCpu)}, pg client ${cpu(select, (x) => x.benchCpu)}`,
      };
    });
  } finally {
    agent.destroy();
    await stopServer(server);
    await pool.query(`DROP SCHEMA IF EXISTS ${prefix}_eventstore CASCADE; DROP SCHEMA IF EXISTS ${prefix}_coordinator CASCADE`).catch((error: Error) => ctx.log(`could not drop schemas ${prefix}_*: ${error.message}`));
    rmSync(home, { recursive: true, force: true });
  }
}

export async function runListsBench(ctx: BenchContext, overrides: Partial<ListsBenchOptions> = {}): Promise<BenchRow[]> {
  const o = { ...listsBenchDefaults(), ...overrides };
  const pool = new Pool({ connectionString: ctx.databaseUrl, max: o.clients, idleTimeoutMillis: 0, connectionTimeoutMillis: 10_000, application_name: 'autocoder-bench' });
  pool.on('error', () => undefined);
  try {
    const rows = await runOne(ctx, 'in-process', pool, o, false);
    if (o.nats) rows.push(...(await runOne(ctx, 'nats', pool, o, true)));
    return rows;
  } finally {
    await pool.end();
  }
}
