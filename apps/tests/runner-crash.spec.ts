import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subjects, type CommandEnvelope, type FeatureView, type QueryEnvelope, type RunView } from '@autocoder/contracts';
import { NatsMessageBus } from '@autocoder/messaging';
import { TEST_DATABASE_URL, TEST_NATS_URL, describeWith } from '@autocoder/testing';
import { Client } from 'pg';
import { isolatedInstallation } from './src/isolated-installation';
import { poll, startProcess, startService, stopAllServices, type ServiceProcess } from './src/processes';

/**
 * Crash recovery of the runner (issue 7) with real processes on the real Postgres and NATS: a
 * coordinator, runners (`apps/runner/src/main.ts`) and the fake Messages API as its own process
 * (`--record`, a latency per answer so that a kill lands mid-session).
 *
 * 1. A runner killed with SIGKILL mid coding session (once during a model call, once during a bash
 *    tool call) is restarted; the run finishes by itself, each restart is a RunCrashRecovered, no
 *    model call the runner recorded as completed is sent again, and the tool call the kill cut short
 *    is a ToolCallInterrupted that the model was told about as an is_error tool_result.
 * 2. A runner killed mid coding session that never comes back: the coordinator expires its lease
 *    on the feature's task, and another runner process of the installation takes the run over
 *    (the advisory lock died with the killed process), finds the lease gone, and claims the feature
 *    again under a newer fencing token; the run still completes.
 *
 * All runners of an installation are one coordinator agent (the identity follows from the schema),
 * so a runner taking a run over while the lease still runs simply goes on under it (part 1); only a
 * lease that expired makes the feature change hands (part 2).
 */

/** Each answer of the fake takes this long: a model call is a window in which to kill. */
const FAKE_LATENCY_MS = 250;
/** Long enough for a restart to find the lease still held (part 1). */
const LEASE_SEC = 30;
/** Short, so that the lease of a runner that never comes back runs out quickly (part 2). */
const SHORT_LEASE_SEC = 5;

interface StoredEvent {
  position: number;
  stream_id: string;
  type: string;
  data: Record<string, any>;
}

interface FakeRecord {
  requestId: string;
  path: string;
  bodyHash: string;
  at: number;
  status: number;
  cut: boolean;
  body?: { messages?: { role: string; content: unknown }[] };
}

const admin = <P>(payload: P): CommandEnvelope<P> => ({ commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'admin' }, payload });
const query = <P>(payload: P): QueryEnvelope<P> => ({ correlationId: randomUUID(), actor: { kind: 'admin' }, payload });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWith({ postgres: true, nats: true }, 'runner crash recovery: kill -9 mid-session (separate processes, Postgres and NATS)', () => {
  const installation = isolatedInstallation('rcrash');
  const { prefix, natsPrefix, home, env } = installation;
  const recordPath = join(home, 'fake-requests.jsonl');
  const timings: Record<string, number> = {};

  let db: Client;
  let bus: NatsMessageBus;
  let fakeUrl: string;
  let runner: ServiceProcess;
  let runnerCount = 0;

  const startRunner = async (leaseSec: number) => {
    const t = Date.now();
    runner = await startService('runner', {
      env: { ...env, ANTHROPIC_BASE_URL: fakeUrl, ANTHROPIC_API_KEY: 'sk-ant-test', AUTOCODER_AUTO_CONTINUE_DELAY_SEC: '0', AUTOCODER_FEATURE_LEASE_SEC: String(leaseSec) },
      label: `runner ${++runnerCount}`,
    });
    timings[`runner${runnerCount}StartMs`] = Date.now() - t;
    return runner;
  };

  const killRunner = async () => {
    runner.kill('SIGKILL');
    expect(await runner.exited).toEqual({ code: null, signal: 'SIGKILL' });
  };

  const events = async (where: string, params: unknown[]) =>
    (await db.query<StoredEvent>(`SELECT position::int AS position, stream_id, type, data FROM "${prefix}_eventstore".events WHERE ${where} ORDER BY position`, params)).rows;

  /** The session events of a run's coding sessions. */
  const codingEvents = (runId: string) =>
    events(
      `stream_id IN (SELECT stream_id FROM "${prefix}_eventstore".events WHERE type = 'SessionStarted' AND data->>'runId' = $1 AND data->>'kind' = 'coding')`,
      [runId],
    );

  const fakeRecords = (): FakeRecord[] =>
    readFileSync(recordPath, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as FakeRecord)
      .filter((r) => r.path === '/v1/messages');

  const startRun = async (name: string) => {
    const path = join(home, 'projects', name);
    const project = await bus.request<{ projectId: string }>(Subjects.runner.registerProject, admin({ name, spec: 'A tiny math library with tests.', path }));
    expect(existsSync(path)).toBe(true);
    const run = await bus.request<{ runId: string }>(Subjects.runner.startRun, admin({ projectId: project.projectId }));
    return { path, projectId: project.projectId, runId: run.runId };
  };

  const runEnded = (runId: string, timeoutMs: number) =>
    poll(
      `run ${runId} to end`,
      async () => {
        const run = await bus.request<RunView>(Subjects.runner.getRun, query({ runId }), 5000);
        return ['completed', 'failed', 'stopped'].includes(run.status) ? { run } : undefined;
      },
      { timeoutMs, intervalMs: 300 },
    ).catch(async (error: Error) => {
      const recent = await events(`data->>'runId' = $1 OR stream_id LIKE 'task-%'`, [runId]);
      const story = recent.slice(-40).map((e) => `${e.stream_id.slice(0, 13)} ${e.type} ${JSON.stringify(e.data).slice(0, 160)}`);
      throw new Error(`${error.message}\nlast events:\n${story.join('\n')}\n${runner.name} output:\n${runner.output().slice(-6000)}`);
    });

  /** What a user sees at the end of a run: completed, every feature passing, the workspace's tests green. */
  const expectFinished = async (detail: { run: RunView }, projectId: string, path: string) => {
    expect(detail.run).toMatchObject({ status: 'completed', completion: 'all_features_done' });
    const features = await bus.request<FeatureView[]>(Subjects.runner.listFeatures, query({ projectId }));
    expect(features).toHaveLength(4);
    expect(features.map((f) => f.status)).toEqual(['passing', 'passing', 'passing', 'passing']);
    expect(execFileSync('node', ['--test'], { cwd: path, encoding: 'utf8' })).toMatch(/# fail 0/);
  };

  /**
   * No model call the runner recorded as completed was sent again: each (session, turn) is recorded
   * once, and the fake's answer to it is the last request with that body. A request the fake
   * answered but a killed runner never recorded may come again (at most one per kill).
   */
  const expectNoCompletedCallRepeated = async (runId: string, kills: number) => {
    const completed = await events(`type = 'ModelCallCompleted' AND data->>'runId' = $1`, [runId]);
    const keys = completed.map((e) => `${e.data.sessionId}/${e.data.turn}`);
    expect(new Set(keys).size).toBe(keys.length);

    const records = fakeRecords();
    const byId = new Map(records.map((r) => [r.requestId, r]));
    for (const call of completed) {
      const answered = byId.get(call.data.requestId);
      expect(answered).toMatchObject({ status: 200, cut: false });
      const later = records.filter((r) => r.bodyHash === answered!.bodyHash && r.at > answered!.at);
      expect({ call: `${call.data.sessionId}/${call.data.turn}`, sentAgain: later.length }).toEqual({ call: `${call.data.sessionId}/${call.data.turn}`, sentAgain: 0 });
    }
    const runHashes = new Set(completed.map((c) => byId.get(c.data.requestId)!.bodyHash));
    const seen = new Set<string>();
    let repeats = 0;
    for (const r of records.filter((x) => runHashes.has(x.bodyHash)).sort((a, b) => a.at - b.at)) {
      if (seen.has(r.bodyHash)) repeats++;
      seen.add(r.bodyHash);
    }
    expect(repeats).toBeLessThanOrEqual(kills);
    return { modelCalls: completed.length, repeats };
  };

  /** Waits for a bash call (node --test, some 300 ms) of a coding session that has started and not reported back. */
  const bashInProgress = (runId: string, afterPosition = 0) =>
    poll(
      'a bash tool call in progress',
      async () => {
        const all = await codingEvents(runId);
        const finished = new Set(all.filter((e) => e.type === 'ToolResultRecorded' || e.type === 'ToolCallInterrupted').map((e) => e.data.toolUseId));
        return all.find((e) => e.type === 'ToolCalled' && e.data.name === 'bash' && e.position > afterPosition && !finished.has(e.data.toolUseId));
      },
      { timeoutMs: 60_000, intervalMs: 5 },
    );

  /** Every tool call of the run reported back or shows as interrupted: none is left running in the record. */
  const expectNoToolCallLeftOpen = async (runId: string) => {
    const tools = await events(`type IN ('ToolCalled', 'ToolResultRecorded', 'ToolCallInterrupted') AND data->>'runId' = $1`, [runId]);
    const closed = new Set(tools.filter((e) => e.type !== 'ToolCalled').map((e) => e.data.toolUseId));
    expect(tools.filter((e) => e.type === 'ToolCalled' && !closed.has(e.data.toolUseId)).map((e) => `${e.data.name} ${e.data.toolUseId}`)).toEqual([]);
    return tools.filter((e) => e.type === 'ToolCallInterrupted').length;
  };

  beforeAll(async () => {
    db = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
    await db.connect();
    const t = Date.now();
    const [fake] = await Promise.all([
      startProcess('tools/fake-anthropic/src/main.ts', {
        args: ['--script', 'mathlib', '--port', '0', '--record', recordPath, '--record-bodies', '--latency-ms', String(FAKE_LATENCY_MS)],
        ready: /FAKE_ANTHROPIC_URL=(\S+)/,
        label: 'fake-anthropic',
      }),
      startService('coordinator', { env }),
      // The runner reserves with the usage service before every model call (no budget set: a no-op).
      startService('usage', { env }),
    ]);
    fakeUrl = fake.url;
    bus = await NatsMessageBus.connect(TEST_NATS_URL, `${prefix}-test`, `${natsPrefix}.`);
    timings.fakeAndCoordinatorStartMs = Date.now() - t;
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    await stopAllServices('SIGTERM', 10_000);
    await db?.end();
    console.log(`runner-crash timings: ${JSON.stringify(timings)}`);
    expect(await installation.remove()).toEqual([]);
  }, 40_000);

  it('finishes a run whose runner was killed twice mid coding session and restarted, repeating no completed model call', async () => {
    const t = Date.now();
    await startRunner(LEASE_SEC);
    const { path, projectId, runId } = await startRun('mathlib-restart');

    // Kill 1: during a model call of the first coding session (two of its calls are recorded, the
    // next one is waiting for the fake's answer).
    await poll(
      'two model calls of a coding session',
      async () => ((await codingEvents(runId)).filter((e) => e.type === 'ModelCallCompleted').length >= 2 ? true : undefined),
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await sleep(FAKE_LATENCY_MS / 2);
    await killRunner();
    const afterKill1 = await codingEvents(runId);
    expect(afterKill1.some((e) => e.type === 'SessionEnded')).toBe(false);

    // Kill 2: while a bash tool call (node --test) runs: it was called, its result is not recorded.
    await startRunner(LEASE_SEC);
    const running = await bashInProgress(runId, afterKill1.at(-1)!.position);
    await killRunner();
    const afterKill2 = await events(`stream_id = $1`, [running.stream_id]);
    const cutShort = afterKill2.filter((e) => e.type === 'ToolCalled' && !afterKill2.some((r) => r.type === 'ToolResultRecorded' && r.data.toolUseId === e.data.toolUseId));
    expect(cutShort.map((e) => e.data.toolUseId)).toEqual([running.data.toolUseId]);

    // The last runner has a short lease: part 2 kills it and lets its lease run out.
    await startRunner(SHORT_LEASE_SEC);
    const detail = await runEnded(runId, 90_000);
    timings.restartRunMs = Date.now() - t;
    await expectFinished(detail, projectId, path);

    const recovered = await events(`type = 'RunCrashRecovered' AND data->>'runId' = $1`, [runId]);
    expect(recovered).toHaveLength(2);
    expect(recovered.every((e) => typeof e.data.sessionId === 'string')).toBe(true);

    // The bash call the kill cut short is interrupted, and the model was told so.
    const interrupted = await events(`type = 'ToolCallInterrupted' AND data->>'runId' = $1`, [runId]);
    expect(interrupted.map((e) => [e.data.toolUseId, e.data.name])).toEqual([[running.data.toolUseId, 'bash']]);
    const told = fakeRecords().filter((r) =>
      (r.body?.messages ?? []).some(
        (m) => m.role === 'user' && Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_result' && b.tool_use_id === running.data.toolUseId && b.is_error === true),
      ),
    );
    expect(told.length).toBeGreaterThan(0);
    // ... and never as a successful result.
    const toldOk = fakeRecords().filter((r) =>
      (r.body?.messages ?? []).some((m) => Array.isArray(m.content) && m.content.some((b: any) => b.type === 'tool_result' && b.tool_use_id === running.data.toolUseId && b.is_error !== true)),
    );
    expect(toldOk).toEqual([]);

    // How wide the window for kill 2 was: the shortest bash call of the run.
    const bash = await events(`type = 'ToolResultRecorded' AND data->>'runId' = $1 AND data->>'name' = 'bash'`, [runId]);
    timings.shortestBashMs = Math.min(...bash.map((e) => e.data.durationMs));

    await expectNoToolCallLeftOpen(runId);
    const calls = await expectNoCompletedCallRepeated(runId, 2);
    timings.restartRunModelCalls = calls.modelCalls;
    timings.restartRunRepeatedRequests = calls.repeats;
  }, 180_000);

  it('lets another runner take the feature over once the lease of a runner that never came back expired', async () => {
    const t = Date.now();
    if (!runner?.running) await startRunner(SHORT_LEASE_SEC); // this test run on its own
    const { path, projectId, runId } = await startRun('mathlib-takeover');

    // Killed while the first coding session runs its tests: the bash call never reports back.
    const running = await bashInProgress(runId);
    await killRunner();
    const opened = (await events(`type = 'RunSessionOpened' AND data->>'runId' = $1`, [runId])).at(-1)!;
    expect(opened.data).toMatchObject({ kind: 'coding', taskId: expect.any(String), fencingToken: expect.any(Number) });
    const taskStream = `task-${opened.data.taskId}`;

    // Nobody renews the lease: the coordinator expires it and the task is ready again.
    await poll('the lease of the dead runner to expire', async () => ((await events(`stream_id = $1 AND type = 'LeaseExpired'`, [taskStream])).length ? true : undefined), {
      timeoutMs: SHORT_LEASE_SEC * 1000 + 10_000,
      intervalMs: 100,
    });

    await startRunner(SHORT_LEASE_SEC);
    const detail = await runEnded(runId, 90_000);
    timings.takeoverRunMs = Date.now() - t;
    await expectFinished(detail, projectId, path);
    expect(await events(`type = 'RunCrashRecovered' AND data->>'runId' = $1`, [runId])).toHaveLength(1);

    // The feature's task: claimed, expired, claimed again under a newer fencing token, and done.
    // The runner that took the run over did no work under the lease that had expired: the dead
    // runner's session made no further model call and marked nothing.
    const expiredAt = (await events(`stream_id = $1 AND type = 'LeaseExpired'`, [taskStream]))[0].position;
    const underDeadLease = (await events(`stream_id = $1 AND position > $2`, [`session-${opened.data.sessionId}`, expiredAt])).filter((e) => e.type === 'ModelCallCompleted');
    expect(underDeadLease).toEqual([]);
    const marked = await events(`type = 'FeatureStatusChanged' AND data->>'sessionId' = $1 AND position > $2`, [opened.data.sessionId, expiredAt]);
    expect(marked.map((e) => e.data.to)).toEqual(['failing']);

    const task = await events(`stream_id = $1`, [taskStream]);
    const claims = task.filter((e) => e.type === 'TaskClaimed');
    const expiry = task.findIndex((e) => e.type === 'LeaseExpired');
    expect(claims[0].data.fencingToken).toBe(opened.data.fencingToken);
    const reclaim = task.findIndex((e, i) => i > expiry && e.type === 'TaskClaimed');
    expect(reclaim).toBeGreaterThan(expiry);
    expect(task[reclaim].data.fencingToken).toBeGreaterThan(opened.data.fencingToken);
    expect(task.at(-1)).toMatchObject({ type: 'TaskStatusChanged', data: { to: 'done' } });

    // The bash call the dead runner left running is interrupted, though its session ended at once.
    await expectNoToolCallLeftOpen(runId);
    const interrupted = await events(`type = 'ToolCallInterrupted' AND data->>'runId' = $1`, [runId]);
    expect(interrupted.map((e) => [e.data.sessionId, e.data.toolUseId])).toEqual([[opened.data.sessionId, running.data.toolUseId]]);
    const calls = await expectNoCompletedCallRepeated(runId, 1);
    timings.takeoverRunModelCalls = calls.modelCalls;
    timings.takeoverRunRepeatedRequests = calls.repeats;
  }, 120_000);
});
