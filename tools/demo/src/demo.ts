import 'reflect-metadata';
import { startAutocoder, type RunningAutocoder } from '@autocoder/autocoder';
import { mathlib, startFakeAnthropic, type FakeAnthropic } from '@autocoder/fake-anthropic';
import { loadConfig } from '@autocoder/platform';
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { entryLine, progressLine } from './format';
import type { RestEntry, RestRun } from './rest-views';
import { serverSentEvents } from '@autocoder/cli/src/sse';

export const DEMO_SPEC = [
  'A tiny JavaScript math library (CommonJS, no dependencies) with node:test tests:',
  '- add and subtract; multiply and divide (dividing by zero throws a RangeError);',
  '- mean and median of a list of numbers;',
  '- parse("1 + 2 * 3"): evaluates an arithmetic expression with the usual precedence.',
  '`node --test` runs every test and passes.',
].join('\n');

export interface AppTests {
  command: string;
  exitCode: number;
  passed: number;
  failed: number;
}

export interface DemoResult {
  home: string;
  workspace: string;
  run: RestRun;
  tests: AppTests;
  ok: boolean;
}

export interface DemoOptions {
  log: (line: string) => void;
  /** The whole run must end within this (ms). */
  timeoutMs: number;
  /** The pause between sessions (AUTOCODER_AUTO_CONTINUE_DELAY_SEC). */
  autoContinueDelaySec: number;
  logLevel: string;
}

/** Variables that would point the demo at servers: it runs on embedded defaults only. */
const SERVER_VARIABLES = ['DATABASE_URL', 'NATS_URL', 'EVENTSTORE_URL', 'AUTOCODER_SCHEMA_PREFIX', 'AUTOCODER_NATS_PREFIX', 'AUTOCODER_ADMIN_TOKEN'];

/**
 * The whole product in one process on a fresh AUTOCODER_HOME (PGlite, in-process bus) and the fake
 * Messages API playing `mathlib`: register a project over REST, start a run, follow its SSE stream
 * to the end, then run the app's own tests in its workspace.
 */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const home = mkdtempSync(join(tmpdir(), 'autocoder-demo-'));
  // Cleared, not only left out of the config: the tools' child processes inherit process.env.
  for (const name of SERVER_VARIABLES) delete process.env[name];
  const config = loadConfig({
    AUTOCODER_HOME: home,
    PORT: '0',
    LOG_LEVEL: options.logLevel,
    AUTOCODER_AUTO_CONTINUE_DELAY_SEC: String(options.autoContinueDelaySec),
  });

  let fake: FakeAnthropic | undefined;
  let system: RunningAutocoder | undefined;
  const timeout = AbortSignal.timeout(options.timeoutMs);
  try {
    fake = await startFakeAnthropic({ script: mathlib });
    process.env.ANTHROPIC_BASE_URL = fake.url;
    process.env.ANTHROPIC_API_KEY = 'sk-ant-demo';
    options.log(`fake Messages API (script mathlib) at ${fake.url}`);

    system = await startAutocoder(config, { runnerSweepMs: 200, runnerPollMs: 50, runnerClaimPatienceMs: 5000 });
    const store = system.db.embedded ? 'embedded Postgres (PGlite)' : 'Postgres';
    options.log(`autocoder at ${system.url}  store: ${store}  transport: ${system.transport}  home: ${home}`);
    const api = client(system.url, system.adminToken, timeout);

    const workspace = join(home, 'projects', 'mathlib');
    const project = await api.json<{ id: string; path: string }>('POST', '/api/projects', { name: 'mathlib', spec: DEMO_SPEC, path: workspace });
    options.log(`project ${project.id} registered, workspace ${project.path}`);
    const started = await api.json<{ id: string }>('POST', `/api/projects/${project.id}/agent-runs`, {});
    options.log(`run ${started.id} started; its stream:`);

    const run = await follow(api, started.id, options.log);
    const tests = run.status === 'completed' ? await appTests(project.path, timeout) : { command: 'node --test', exitCode: -1, passed: 0, failed: 0 };
    const ok =
      run.status === 'completed' &&
      run.feature_counts.total > 0 &&
      run.feature_counts.passing === run.feature_counts.total &&
      tests.exitCode === 0 &&
      tests.failed === 0 &&
      tests.passed > 0;
    return { home, workspace: project.path, run, tests, ok };
  } finally {
    await system?.stop();
    await fake?.close();
  }
}

type Api = ReturnType<typeof client>;

function client(url: string, token: string, signal: AbortSignal) {
  const headers = { authorization: `Bearer ${token}` };
  return {
    fetch: (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { ...init, headers: { ...headers, ...(init.headers as object) }, signal }),
    async json<T>(method: string, path: string, body?: unknown): Promise<T> {
      const res = await fetch(`${url}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
      return JSON.parse(text) as T;
    },
  };
}

/** Entry types after which the run's counts have changed enough to show them again. */
const COUNTING = new Set(['feature', 'test', 'complete']);

/** The run's SSE stream, a line per entry and a progress line after features, tests and session ends; returns the run at its end. */
async function follow(api: Api, runId: string, log: (line: string) => void): Promise<RestRun> {
  const get = () => api.json<RestRun>('GET', `/api/agent-runs/${runId}`);
  const res = await api.fetch(`/api/agent-runs/${runId}/stream`);
  if (!res.ok || !res.body) throw new Error(`the stream of run ${runId} answered ${res.status}: ${await res.text()}`);
  for await (const event of serverSentEvents(res.body as unknown as AsyncIterable<Uint8Array>)) {
    if (event.event === 'stream_error') throw new Error(`the stream of run ${runId} failed: ${event.data}`);
    const entry = JSON.parse(event.data) as RestEntry;
    log(entryLine(event.event, entry));
    if (COUNTING.has(event.event) || entry.event_type === 'SessionEnded') log(progressLine(await get()));
    if (event.event === 'complete') break;
  }
  return get();
}

/** `node --test` in the workspace, with the TAP reporter so its counts can be read. */
function appTests(cwd: string, signal: AbortSignal): Promise<AppTests> {
  const command = 'node --test --test-reporter=tap';
  return new Promise((resolve) => {
    execFile('node', ['--test', '--test-reporter=tap'], { cwd, encoding: 'utf8', signal }, (error, stdout) => {
      const count = (name: string) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(stdout)?.[1] ?? 0);
      const exitCode = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ command, exitCode, passed: count('pass'), failed: count('fail') });
    });
  });
}
