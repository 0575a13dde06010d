import { Subjects, type FeatureView, type RunView, type SessionView } from '@autocoder/contracts';
import { mathlib, startFakeAnthropic, type FakeAnthropic } from '@autocoder/fake-anthropic';
import { loadConfig } from '@autocoder/platform';
import { describeWith } from '@autocoder/testing';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_TOKEN, adminCommand, adminQuery, eventually, gql, rest, sql, startRunnerTestSystem, startTestSystem, type TestSystem } from './harness';
import type { RunnerRuntime } from '@autocoder/runner';
import { promisify } from 'node:util';

const query = adminQuery;
const admin = adminCommand;

describeWith({ postgres: true }, 'runner: a spec becomes passing features on the fake Messages API', () => {
  let fake: FakeAnthropic;
  let system: TestSystem;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ fake, system, close } = await startRunnerTestSystem(mathlib));
  });
  afterAll(() => close?.());

  it('runs the initializer, then one coding session per feature until all pass, and then makes no further call', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'autocoder-project-')), 'mathlib');
    const project = await system.bus.request<{ projectId: string }>(Subjects.runner.registerProject, admin({ name: 'mathlib', spec: 'A tiny math library with tests.', path }));
    expect(existsSync(path)).toBe(true);
    const run = await system.bus.request<{ runId: string }>(Subjects.runner.startRun, admin({ projectId: project.projectId }));
    const detail = await eventually(
      async () => {
        const r = await system.bus.request<RunView>(Subjects.runner.getRun, query({ runId: run.runId })).catch(() => null);
        return r && ['completed', 'failed', 'stopped'].includes(r.status) ? { run: r, sessions: await system.bus.request<SessionView[]>(Subjects.runner.listSessions, query({ runId: run.runId })) } : undefined;
      },
      90_000,
      'run to end',
    );
    expect(detail.run).toMatchObject({ status: 'completed', completion: 'all_features_done' });
    const features = await system.bus.request<FeatureView[]>(Subjects.runner.listFeatures, query({ projectId: project.projectId }));
    expect(features.map((f) => f.status)).toEqual(features.map(() => 'passing'));
    expect(features.length).toBe(4);
    expect(detail.sessions.map((s) => s.kind)).toEqual(['initializer', 'coding', 'coding', 'coding', 'coding']);
    // The code and its tests are in the workspace, and they pass.
    const out = execFileSync('node', ['--test'], { cwd: path, encoding: 'utf8' });
    expect(out).toMatch(/# fail 0/);
    const calls = fake.requests.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(fake.requests.length).toBe(calls);
    expect(new Set(fake.requests.map((r) => r.bodyHash)).size).toBe(fake.requests.length);
    expect(detail.run.usage.input + detail.run.usage.cacheRead + detail.run.usage.cacheWrite5m).toBeGreaterThan(0);
  }, 120_000);

  it('takes a spec over REST, streams every step, answers GraphQL and the CLI, and rebuilds its read models identically', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'autocoder-project-')), 'mathlib');
    const created = await rest(system, 'POST', '/api/projects', ADMIN_TOKEN, { name: 'mathlib over rest', spec: 'A tiny math library with tests.', path });
    expect(created.status).toBe(201);
    const projectId = created.body.id as string;
    const started = await rest(system, 'POST', `/api/projects/${projectId}/agent-runs`, ADMIN_TOKEN, {});
    expect(started.status).toBe(201);
    const runId = started.body.id as string;

    // The stream follows the run live and ends after `complete`.
    const res = await fetch(`${system.url}/api/agent-runs/${runId}/stream`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const frames = (await res.text()).split('\n\n').filter((f) => f.includes('event: '));
    const types = frames.map((f) => /event: (\w+)/.exec(f)![1]);
    for (const type of ['status', 'tool_call', 'tool_result', 'feature', 'test', 'complete']) expect(types).toContain(type);
    expect(types.at(-1)).toBe('complete');
    const ids = frames.map((f) => Number(/id: (\d+)/.exec(f)![1]));
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);

    // Last-Event-ID resumes after the given entry.
    const resumed = await fetch(`${system.url}/api/agent-runs/${runId}/stream`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'last-event-id': String(ids[ids.length - 3]) } });
    expect((await resumed.text()).split('\n\n').filter((f) => f.includes('event: ')).length).toBe(2);

    const run = await rest(system, 'GET', `/api/agent-runs/${runId}`, ADMIN_TOKEN);
    expect(run.body).toMatchObject({ status: 'completed', feature_counts: { passing: 4, total: 4 } });
    expect(run.body.sessions).toHaveLength(5);
    expect(run.body.usage.total).toBeGreaterThan(0);
    const features = await rest(system, 'GET', `/api/projects/${projectId}/features`, ADMIN_TOKEN);
    expect(features.body.every((f: any) => f.status === 'passing' && f.evidence.command === 'node --test' && f.evidence.exit_code === 0)).toBe(true);
    const logs = await rest(system, 'GET', `/api/agent-runs/${runId}/logs?level=info`, ADMIN_TOKEN);
    expect(logs.status).toBe(200);
    expect(logs.body.length).toBeGreaterThan(10);

    const graph = await gql(system, ADMIN_TOKEN, 'query($id: ID!) { run(id: $id) { status sessions { kind turns } } }', { id: runId });
    expect(graph.errors).toBeUndefined();
    expect(graph.data.run.status).toBe('COMPLETED');

    // Not spawnSync: the gateway answering the CLI runs in this process.
    const cli = await promisify(execFile)('node', ['-r', '@swc-node/register', 'tools/cli/src/main.ts', 'status', runId, '--url', system.url, '--token', ADMIN_TOKEN], { encoding: 'utf8' });
    expect(cli.stdout).toMatch(/completed/);
    expect(cli.stdout).toMatch(/4\/4/);

    // A rebuild from the events gives the same rows.
    const schema = `${system.config.schemaPrefix}runner`;
    const tables = ['projects', 'features', 'runs', 'sessions', 'run_timeline', 'run_timeline_runs', 'run_timeline_sessions'];
    // Sorted whole rows: the tables' first column is not unique in every one.
    const dump = async () => Promise.all(tables.map(async (t) => (await sql(`SELECT * FROM ${schema}.${t}`)).map((row) => JSON.stringify(row)).sort()));
    const before = await dump();
    await (system.services.get('runner') as RunnerRuntime).rebuildProjections();
    expect(await dump()).toEqual(before);
  }, 120_000);
});

describeWith({ postgres: true }, 'runner: a graceful restart mid-session', () => {
  const env = { ...process.env };
  afterAll(() => {
    process.env = env;
  });

  it('leaves the session as recorded when the process stops, and the next start continues it to the end', async () => {
    const fake = await startFakeAnthropic({ script: mathlib, latencyMs: 150 });
    process.env.ANTHROPIC_BASE_URL = fake.url;
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test';
    const settings = { runner: { ...defaults(), autoContinueDelaySec: 0 } };
    const tuning = { runnerSweepMs: 200, runnerPollMs: 50, runnerClaimPatienceMs: 5000 };
    const first = await startTestSystem(settings, tuning);
    const prefix = first.config.schemaPrefix;
    let second: TestSystem | undefined;
    try {
      const path = join(mkdtempSync(join(tmpdir(), 'autocoder-project-')), 'mathlib');
      const project = await first.bus.request<{ projectId: string }>(Subjects.runner.registerProject, admin({ name: 'mathlib', spec: 'A tiny math library.', path }));
      const run = await first.bus.request<{ runId: string }>(Subjects.runner.startRun, admin({ projectId: project.projectId }));
      const events = () => sql<{ type: string; stream_id: string }>(`SELECT type, stream_id FROM ${prefix}eventstore.events WHERE data->>'runId' = $1 ORDER BY position`, [run.runId]);
      // Stop while the second session (the first coding one) is under way.
      const midSession = (all: { type: string; stream_id: string }[]) => {
        const sessions = [...new Set(all.filter((e) => e.type === 'SessionStarted').map((e) => e.stream_id))];
        const last = sessions.at(-1);
        const calls = all.filter((e) => e.stream_id === last && e.type === 'ModelCallCompleted').length;
        return sessions.length >= 2 && !all.some((e) => e.stream_id === last && e.type === 'SessionEnded') && calls >= 2;
      };
      await eventually(async () => (midSession(await events()) ? true : undefined), 60_000, 'a coding session two calls in');
      await first.close(false);
      const atStop = await events();
      const open = atStop.filter((e) => e.type === 'SessionStarted').length - atStop.filter((e) => e.type === 'SessionEnded').length;
      expect(open).toBe(1); // the session in flight was not ended by the shutdown

      second = await startTestSystem({ ...settings, schemaPrefix: prefix }, tuning);
      const done = await eventually(
        async () => {
          const r = await second!.bus.request<RunView>(Subjects.runner.getRun, query({ runId: run.runId })).catch(() => null);
          return r && r.status !== 'running' ? r : undefined;
        },
        90_000,
        'run to end after the restart',
      );
      expect(done).toMatchObject({ status: 'completed', completion: 'all_features_done' });
      const all = await events();
      // At least the five sessions of an uninterrupted run; one more when the session cut short by the
      // stop could not finish its feature (its interrupted tool call is an error result) and another took it.
      expect(all.filter((e) => e.type === 'SessionEnded').length).toBeGreaterThanOrEqual(5);
      expect(all.filter((e) => e.type === 'SessionEnded').length).toBe(all.filter((e) => e.type === 'SessionStarted').length);
      expect(all.filter((e) => e.type === 'RunCrashRecovered')).toHaveLength(1);
    } finally {
      await second?.close();
      await fake.close();
    }
  }, 180_000);
});

function defaults() {
  return loadConfig({}).runner;
}
