/**
 * Benchmarks against the real servers, each number beside a baseline measured in the same run.
 *
 *   npm run bench                  # every benchmark
 *   npm run bench -- eventstore    # only the named ones
 *
 * BENCH_DATABASE_URL picks the Postgres (default: the test database, postgres://postgres@127.0.0.1:5432/test).
 */
import { availableParallelism, cpus, platform, release, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Client } from 'pg';
import { TEST_DATABASE_URL } from '@autocoder/testing';
import { runCoordinatorBench } from './coordinator-bench';
import { runEventStoreBench } from './eventstore-bench';
import { runListsBench } from './lists-bench';
import { runUsageBench } from './usage-bench';

export interface BenchContext {
  databaseUrl: string;
  log(line: string): void;
}

/** One measured quantity: higher is better for both values. */
export interface BenchRow {
  benchmark: string;
  unit: string;
  autocoder: number;
  baseline: number;
  /** What the baseline is, and any side numbers (latencies, counts) worth printing under the table. */
  detail?: string;
}

export type Benchmark = (ctx: BenchContext) => Promise<BenchRow[]>;

/** The registry: `npm run bench -- <name>` runs one entry, no argument runs them all in this order. */
export const BENCHMARKS: Record<string, { description: string; run: Benchmark }> = {
  eventstore: {
    description: 'Postgres event store: appends (single and batched) and subscriber catch-up vs plain INSERT/SELECT',
    run: runEventStoreBench,
  },
  coordinator: {
    description: 'coordinator child process: 200 agents over NATS claim-next, heartbeat and finish 10,000 tasks vs the raw append rate',
    run: runCoordinatorBench,
  },
  lists: {
    description: 'npm start in a child process: REST and GraphQL lists of 500 agents, 8 clients, in process and over NATS vs a plain SELECT',
    run: runListsBench,
  },
  usage: {
    description: 'usage ledger on Postgres: model calls priced and rolled up per second vs their raw append rate; append → usageUpdated lag',
    run: runUsageBench,
  },
};

const redact = (url: string) => {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable url>';
  }
};

async function postgresInfo(databaseUrl: string) {
  const client = new Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    const { rows } = await client.query<{ name: string; setting: string }>(
      `SELECT name, setting FROM pg_settings
        WHERE name IN ('server_version', 'synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay', 'shared_buffers')
        ORDER BY name`,
    );
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await client.end();
  }
}

const formatNumber = (n: number) =>
  n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toLocaleString('en-US', { maximumFractionDigits: 1 });

function printTable(rows: BenchRow[]) {
  const header = ['benchmark', 'autocoder', 'baseline', 'ratio'];
  const body = rows.map((r) => [
    r.benchmark,
    `${formatNumber(r.autocoder)} ${r.unit}`,
    `${formatNumber(r.baseline)} ${r.unit}`,
    r.baseline > 0 ? `${(r.autocoder / r.baseline).toFixed(2)}x` : 'n/a',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i].length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
  for (const cells of body) console.log(line(cells));
  const details = rows.filter((r) => r.detail);
  if (details.length) {
    console.log('');
    for (const r of details) console.log(`- ${r.benchmark}: ${r.detail}`);
  }
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log('usage: npm run bench [-- <name>...]\n');
    for (const [name, b] of Object.entries(BENCHMARKS)) console.log(`  ${name.padEnd(12)} ${b.description}`);
    return 0;
  }
  const unknown = argv.filter((name) => !(name in BENCHMARKS));
  if (unknown.length) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
    return 2;
  }
  const selected = argv.length ? [...new Set(argv)] : Object.keys(BENCHMARKS);
  const databaseUrl = process.env.BENCH_DATABASE_URL ?? TEST_DATABASE_URL;

  const pg = await postgresInfo(databaseUrl);
  console.log('Autocoder benchmarks');
  console.log(`  date       ${new Date().toISOString()}`);
  console.log(`  machine    ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown cpu'}), ${Math.round(totalmem() / 2 ** 30)} GiB, ${platform()} ${release()}`);
  console.log(`  node       ${process.version}`);
  console.log(`  postgres   ${pg.server_version} at ${redact(databaseUrl)}`);
  console.log(
    `  pg config  synchronous_commit=${pg.synchronous_commit} fsync=${pg.fsync} wal_sync_method=${pg.wal_sync_method} ` +
      `commit_delay=${pg.commit_delay} shared_buffers=${pg.shared_buffers}x8kB`,
  );
  console.log(`  running    ${selected.join(', ')}\n`);

  const started = performance.now();
  const rows: BenchRow[] = [];
  for (const name of selected) {
    const ctx: BenchContext = { databaseUrl, log: (line) => console.log(`[${name}] ${line}`) };
    rows.push(...(await BENCHMARKS[name].run(ctx)));
  }
  console.log('');
  printTable(rows);
  console.log(`\nratio = autocoder / baseline (higher is better for both); total ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
