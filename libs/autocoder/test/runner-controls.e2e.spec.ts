import {
  Subjects,
  type CommandEnvelope,
  type FeatureView,
  type ProjectView,
  type SessionView,
  type RunTimelineEntry,
  type RunTimelinePage,
  type RunView,
  type TaskView,
} from '@autocoder/contracts';
import { scriptTurns, startFakeAnthropic, stop, text, toolUse, type FakeAnthropic, type MessagesRequest, type RecordedRequest, type Script } from '@autocoder/fake-anthropic';
import { loadConfig } from '@autocoder/platform';
import { CONTINUE_MESSAGE } from '@autocoder/runner';
import { describeWith } from '@autocoder/testing';

/** A run with its sessions, as GET /api/agent-runs/:id shows it. */
type RunDetail = { run: RunView; sessions: SessionView[] };
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestSystem, type TestSystem } from './harness';

// Issue 7's controls, retries and bad input, through the runner's subjects on the in-process bus,
// against the local fake Messages API. Each project gets a script of its own (chosen by the project
// name in the session's first message), so several runs can go at once.

const S = Subjects.runner;
const actor = { kind: 'admin' as const };
const envelope = <P>(payload: P): CommandEnvelope<P> => ({ commandId: randomUUID(), correlationId: randomUUID(), actor, payload });
const ENDED = ['completed', 'failed', 'stopped'];

/** Where a session's first message names its project: "Project: <name> (session N)". */
function projectOf(body: unknown): string | undefined {
  const first = (body as MessagesRequest | undefined)?.messages?.[0];
  const content = typeof first?.content === 'string' ? first.content : (first?.content ?? []).map((b) => (b.type === 'text' ? String(b.text ?? '') : '')).join('');
  return /^Project: (\S+)/.exec(content)?.[1];
}

const scripts = new Map<string, Script>();
const book: Script = (request, ctx) => {
  const name = projectOf(request);
  const script = name ? scripts.get(name) : undefined;
  if (!script) throw new Error(`no script for project ${name}`);
  return script(request, ctx);
};

const writable = (path: string) => {
  try {
    accessSync(path, constants.W_OK);
    return true;
  } catch {
    return false;
  }
};

/**
 * Makes `dir` a folder the runner may not write to, the way that works for this user: chmod 555, or
 * for root (which ignores the mode bits) chattr +i, which stops even root. Null when neither works.
 */
function lock(dir: string): { how: string; undo(): void } | null {
  chmodSync(dir, 0o555);
  if (!writable(dir)) return { how: 'chmod 555', undo: () => chmodSync(dir, 0o755) };
  chmodSync(dir, 0o755);
  try {
    execFileSync('chattr', ['+i', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  const undo = () => execFileSync('chattr', ['-i', dir], { stdio: 'ignore' });
  if (!writable(dir)) return { how: 'chattr +i, as root ignores chmod 555', undo };
  undo();
  return null;
}

/** Whether a locked folder can be made here, found out once (and undone at once) to name the test. */
const lockable = (() => {
  const dir = mkdtempSync(join(tmpdir(), 'autocoder-ro-probe-'));
  try {
    const locked = lock(dir);
    locked?.undo();
    return locked ? { how: locked.how } : { skip: 'running as root, where chmod 555 does not stop writes, and chattr +i does not work here' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
})();

describeWith({ postgres: true }, 'runner controls, retries and bad input on the fake Messages API', () => {
  let fake: FakeAnthropic;
  let system: TestSystem;
  const env = { ...process.env };
  const tempRoots: string[] = [];

  beforeAll(async () => {
    fake = await startFakeAnthropic({ script: book });
    process.env.ANTHROPIC_BASE_URL = fake.url;
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test';
    system = await startTestSystem(
      { runner: { ...loadConfig({}).runner, autoContinueDelaySec: 0 } },
      { runnerSweepMs: 200, runnerPollMs: 50, runnerClaimPatienceMs: 10_000, modelStreamRetryDelayMs: 50 },
    );
  });
  afterAll(async () => {
    await system?.close();
    await fake?.close();
    for (const root of tempRoots) rmSync(root, { recursive: true, force: true });
    process.env = env;
  });

  const command = <T>(subject: string, payload: unknown) => system.bus.request<T>(subject, envelope(payload));
  const query = <T>(subject: string, payload: unknown) => system.bus.request<T>(subject, { correlationId: randomUUID(), actor, payload });
  /** The error a request is answered with; fails the test when it succeeds. */
  const refused = async (subject: string, payload: unknown) => {
    const outcome = await command(subject, payload).then(
      (value) => ({ ok: true as const, value }),
      (error: Error & { code?: string }) => ({ ok: false as const, error }),
    );
    if (outcome.ok) throw new Error(`${subject} accepted ${JSON.stringify(payload).slice(0, 200)}: ${JSON.stringify(outcome.value).slice(0, 300)}`);
    return outcome.error;
  };

  const tempPath = (name: string) => {
    const root = mkdtempSync(join(tmpdir(), 'autocoder-controls-'));
    tempRoots.push(root);
    return join(root, name);
  };

  /** A project whose workspace lists one feature (imported from feature_list.json), with the script its sessions follow. */
  async function project(label: string, script: (featureId: string) => Script) {
    const name = `${label}-${randomUUID().slice(0, 8)}`;
    const path = tempPath(name);
    mkdirSync(path);
    writeFileSync(
      join(path, 'feature_list.json'),
      JSON.stringify([{ category: 'functional', name: `${label} works`, description: `The ${label} feature works, proven by a node:test test.`, steps: ['run node --test', 'it passes'] }]),
    );
    const view = await command<ProjectView>(S.registerProject, { name, spec: `A ${label} project.`, path });
    await command(S.syncFeatures, { projectId: view.projectId });
    const feature = await eventually(async () => (await features(view.projectId))[0], 10_000, 'feature imported');
    scripts.set(name, script(feature.featureId));
    return { name, path, projectId: view.projectId, feature };
  }

  const features = (projectId: string) => query<FeatureView[]>(S.listFeatures, { projectId });
  const startRun = (projectId: string, options: Record<string, unknown> = {}) => command<RunView>(S.startRun, { projectId, maxSessions: 1, ...options });
  const detail = async (runId: string): Promise<RunDetail> => ({ run: await query<RunView>(S.getRun, { runId }), sessions: await query<SessionView[]>(S.listSessions, { runId }) });
  const timeline = async (runId: string) => (await query<RunTimelinePage>(S.runTimeline, { runId, limit: 1000 })).entries;
  const requestsOf = (name: string): RecordedRequest[] => fake.requests.filter((r) => r.path === '/v1/messages' && projectOf(r.body) === name);
  const task = (taskId: string) => query<TaskView>(Subjects.coordinator.getTask, { taskId });

  /** The run once it has ended and its timeline shows the end. */
  async function ended(runId: string, timeoutMs = 30_000): Promise<{ detail: RunDetail; entries: RunTimelineEntry[] }> {
    return eventually(
      async () => {
        const d = await detail(runId).catch(() => null);
        if (!d || !ENDED.includes(d.run.status) || d.sessions.some((s) => s.outcome === null)) return undefined;
        const entries = await timeline(runId);
        return entries.some((e) => ['RunCompleted', 'RunFailed', 'RunStopped'].includes(e.eventType)) ? { detail: d, entries } : undefined;
      },
      timeoutMs,
      `run ${runId} to end`,
    );
  }

  const toolResults = (entries: RunTimelineEntry[]) => entries.filter((e) => e.eventType === 'ToolResultRecorded').map((e) => e.data as Record<string, any>);
  const noFurtherCalls = async (name: string) => {
    const calls = requestsOf(name).length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(requestsOf(name).length).toBe(calls);
  };

  describe('bad input on the runner subjects', () => {
    const registrations = async () => (await system.store.readAll({ after: null, maxCount: 100_000, filter: { types: ['ProjectRegistered'] } })).length;

    it('refuses bad registrations with the field named, and stores nothing', async () => {
      const fileDir = tempPath('holder');
      mkdirSync(fileDir);
      writeFileSync(join(fileDir, 'a-file'), 'not a folder');
      const before = await registrations();
      const listed = (await query<ProjectView[]>(S.listProjects, {})).length;
      const good = { name: 'bad-input', spec: 'A project.' };
      const cases: [string, Record<string, unknown>, string, RegExp][] = [
        ['empty spec', { ...good, spec: '' }, 'VALIDATION_FAILED', /spec: must not be empty/],
        ['blank spec', { ...good, spec: ' \n\t ' }, 'VALIDATION_FAILED', /spec: must not be empty/],
        ['5 MB spec', { ...good, spec: 'x'.repeat(5 * 1024 * 1024) }, 'VALIDATION_FAILED', /spec: must be at most 1048576 bytes/],
        ['relative path', { ...good, path: 'projects/mine' }, 'VALIDATION_FAILED', /path: must be an absolute path/],
        ['path under a file', { ...good, path: join(fileDir, 'a-file', 'sub') }, 'VALIDATION_FAILED', /path: the folder .*a-file\/sub cannot be created \(ENOTDIR\)/],
        ['path that is a file', { ...good, path: join(fileDir, 'a-file') }, 'VALIDATION_FAILED', /path: .*a-file/],
        ['repository that cannot be cloned', { ...good, path: tempPath('clone-fails'), repositoryUrl: 'file:///nonexistent' }, 'VALIDATION_FAILED', /repository_url: file:\/\/\/nonexistent could not be cloned: fatal: '\/nonexistent' does not appear to be a git repository/],
        ['repository URL of an unknown scheme', { ...good, repositoryUrl: 'ftp://example.com/repo.git' }, 'VALIDATION_FAILED', /repositoryUrl: must be an http\(s\), ssh or file URL/],
        ['unknown field', { ...good, colour: 'red' }, 'VALIDATION_FAILED', /colour: is not a known field/],
        ['network not a boolean', { ...good, network: 'yes' }, 'VALIDATION_FAILED', /network: must be true or false/],
      ];
      for (const [what, payload, code, message] of cases) {
        const error = await refused(S.registerProject, payload);
        expect({ what, code: error.code }).toEqual({ what, code });
        expect(`${what}: ${error.message}`).toMatch(message);
      }
      expect(await registrations()).toBe(before);
      expect((await query<ProjectView[]>(S.listProjects, {})).length).toBe(listed);
    }, 30_000);

    ('how' in lockable ? it : it.skip)(`refuses a folder the runner cannot write to (${'how' in lockable ? lockable.how : `skipped: ${lockable.skip}`})`, async () => {
      const path = tempPath('locked');
      mkdirSync(path);
      const locked = lock(path)!;
      try {
        const before = await registrations();
        const error = await refused(S.registerProject, { name: 'locked', spec: 'A project.', path });
        expect(error.code).toBe('VALIDATION_FAILED');
        expect(error.message).toBe(`path: the folder ${path} is not writable by the runner`);
        expect(await registrations()).toBe(before);
      } finally {
        locked.undo();
      }
    });

    it('refuses bad run starts and controls with the field named, and starts nothing', async () => {
      const { projectId } = await project('badrun', () => scriptTurns([]));
      const starts = async () => (await system.store.readAll({ after: null, maxCount: 100_000, filter: { types: ['RunStarted'] } })).length;
      const before = await starts();
      const unknown = randomUUID();
      const cases: [string, string, Record<string, unknown>, string, RegExp][] = [
        ['unknown project', S.startRun, { projectId: unknown }, 'NOT_FOUND', new RegExp(`project ${unknown} does not exist`)],
        ['project id not a UUID', S.startRun, { projectId: 'mathlib' }, 'VALIDATION_FAILED', /projectId: must be a UUID/],
        ['max sessions 0', S.startRun, { projectId, maxSessions: 0 }, 'VALIDATION_FAILED', /maxSessions: must be from 1 to 1000/],
        ['max sessions -1', S.startRun, { projectId, maxSessions: -1 }, 'VALIDATION_FAILED', /maxSessions: must be from 1 to 1000/],
        ['max sessions "x"', S.startRun, { projectId, maxSessions: 'x' }, 'VALIDATION_FAILED', /maxSessions: must be a number of sessions/],
        ['max sessions 1.5', S.startRun, { projectId, maxSessions: 1.5 }, 'VALIDATION_FAILED', /maxSessions: must be a whole number of sessions/],
        ['max turns 0', S.startRun, { projectId, maxTurnsPerSession: 0 }, 'VALIDATION_FAILED', /maxTurnsPerSession: must be from 1 to 1000/],
        ['max tokens -1', S.startRun, { projectId, maxTokens: -1 }, 'VALIDATION_FAILED', /maxTokens: must be 0 \(no limit\) or more/],
        ['yolo not a boolean', S.startRun, { projectId, yolo: 'sure' }, 'VALIDATION_FAILED', /yolo: must be true or false/],
        ['stop of an unknown run', S.stopRun, { runId: unknown }, 'NOT_FOUND', new RegExp(`run ${unknown} does not exist`)],
        ['pause with a run id not a UUID', S.pauseRun, { runId: 'latest' }, 'VALIDATION_FAILED', /runId: must be a UUID/],
        ['resume with an empty reason', S.resumeRun, { runId: unknown, reason: ' ' }, 'VALIDATION_FAILED', /reason: must not be empty/],
      ];
      for (const [what, subject, payload, code, message] of cases) {
        const error = await refused(subject, payload);
        expect({ what, code: error.code }).toEqual({ what, code });
        expect(`${what}: ${error.message}`).toMatch(message);
      }
      expect(await starts()).toBe(before);
      expect(await query<RunView[]>(S.listRuns, { projectId })).toEqual([]);
    }, 30_000);

    it('clones a local repository into the workspace', async () => {
      const repo = tempPath('origin');
      mkdirSync(repo);
      const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd, encoding: 'utf8' });
      git(repo, 'init', '-q');
      writeFileSync(join(repo, 'README.md'), '# cloned\n');
      git(repo, 'add', 'README.md');
      git(repo, 'commit', '-q', '-m', 'first commit');
      const path = tempPath('clone');
      const view = await command<ProjectView>(S.registerProject, { name: 'cloned', spec: 'A cloned project.', path, repositoryUrl: repo });
      expect(view).toMatchObject({ path, repositoryUrl: repo });
      expect(existsSync(join(path, '.git'))).toBe(true);
      expect(readFileSync(join(path, 'README.md'), 'utf8')).toBe('# cloned\n');
      expect(git(path, 'log', '--format=%s')).toBe('first commit\n');
      const listed = await eventually(async () => (await query<ProjectView[]>(S.listProjects, {})).find((p) => p.projectId === view.projectId), 10_000, 'project listed');
      expect(listed).toMatchObject({ path, repositoryUrl: repo });
    }, 30_000);
  });

  it('stop kills the running command and everything it started, ends the session stopped and gives the feature task back', async () => {
    const tag = `300.${Math.floor(1000 + Math.random() * 9000)}`;
    const commandLine = `sleep ${tag} & sleep ${tag}; sleep ${tag}`;
    const sleepers = () =>
      execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.includes(`sleep ${tag}`));
    const { name, projectId, feature } = await project('stop', (featureId) =>
      scriptTurns([
        { content: [toolUse('feature_mark_in_progress', { feature_id: featureId })] },
        { content: [text('Waiting a long time.'), toolUse('bash', { command: commandLine, timeout_sec: 600 })] },
      ]),
    );
    try {
      const run = await startRun(projectId);
      // Both sleeps run (the background one and the one in front), under the shell that started them.
      await eventually(async () => (sleepers().filter((l) => /\d+ sleep /.test(l.trim())).length >= 2 ? true : undefined), 20_000, 'the sleeps to run');
      const stoppedAt = Date.now();
      const answer = await command<{ status: string }>(S.stopRun, { runId: run.runId, reason: 'enough waiting' });
      expect(answer.status).toBe('stopped');

      const { detail: d, entries } = await ended(run.runId, 5000);
      expect(d.run).toMatchObject({ status: 'stopped', reason: 'enough waiting' });
      expect(d.sessions).toHaveLength(1);
      expect(d.sessions[0]).toMatchObject({ outcome: 'stopped' });
      await eventually(async () => (sleepers().length === 0 ? true : undefined), 5000, 'no sleep to survive');
      const ready = await eventually(async () => {
        const t = await task(feature.taskId);
        return t.status === 'ready' ? t : undefined;
      }, 5000, 'the feature task back to ready');
      expect(ready.assigneeId).toBeNull();
      expect(Date.now() - stoppedAt).toBeLessThan(5000);

      // What the timeline shows: the command was aborted (no exit code), then the stop.
      const bash = toolResults(entries).find((r) => r.name === 'bash')!;
      expect(bash).toMatchObject({ exitCode: null, isError: true });
      expect(JSON.parse(bash.content)).toMatchObject({ aborted: true, exit_code: null });
      expect(entries.find((e) => e.eventType === 'RunStopped')!.data).toMatchObject({ status: 'stopped', reason: 'enough waiting', by: 'admin' });
      const [f] = await features(projectId);
      expect(f.status).not.toBe('passing');
      expect(requestsOf(name)).toHaveLength(2);
    } finally {
      // Never leave a 5-minute sleep behind, even when the test failed.
      for (const line of sleepers()) {
        const pid = Number(line.trim().split(/\s+/)[0]);
        if (pid > 0) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
      }
    }
  }, 40_000);

  it('pause takes effect after the running tool call: its result is recorded, no model call is made until resume', async () => {
    const p = await project('pause', (featureId) =>
      scriptTurns([
        { content: [text('A slow step.'), toolUse('bash', { command: 'sleep 2' })] },
        { content: [toolUse('feature_mark_passing', { feature_id: featureId, evidence: 'sleep 2 exited 0' })] },
        { content: [text('Done.')], stop_reason: stop.endTurn },
      ]),
    );
    const run = await startRun(p.projectId);
    await eventually(async () => ((await timeline(run.runId)).some((e) => e.eventType === 'ToolCalled') ? true : undefined), 10_000, 'the slow tool call');
    const paused = await command<{ status: string }>(S.pauseRun, { runId: run.runId, reason: 'coffee' });
    expect(paused.status).toBe('paused');
    expect(requestsOf(p.name)).toHaveLength(1);

    const entries = await eventually(async () => {
      const all = await timeline(run.runId);
      return all.some((e) => e.eventType === 'ToolResultRecorded') ? all : undefined;
    }, 10_000, 'the tool result');
    const result = toolResults(entries)[0];
    expect(result).toMatchObject({ name: 'bash', exitCode: 0, isError: false });
    expect(result.durationMs).toBeGreaterThanOrEqual(1900);
    // The pause landed while the command ran.
    const seq = (type: string) => entries.find((e) => e.eventType === type)!.seq;
    expect(seq('ToolCalled')).toBeLessThan(seq('RunPaused'));
    expect(seq('RunPaused')).toBeLessThan(seq('ToolResultRecorded'));

    await new Promise((r) => setTimeout(r, 1500));
    expect(requestsOf(p.name)).toHaveLength(1);
    const held = await detail(run.runId);
    expect(held.run).toMatchObject({ status: 'paused', reason: 'coffee' });
    expect(held.sessions[0].outcome).toBeNull();

    const resumed = await command<{ status: string }>(S.resumeRun, { runId: run.runId });
    expect(resumed.status).toBe('running');
    const { detail: d } = await ended(run.runId);
    expect(d.run).toMatchObject({ status: 'completed', completion: 'all_features_done' });
    expect(d.sessions.map((s) => s.outcome)).toEqual(['completed']);
    expect(requestsOf(p.name)).toHaveLength(3);
    expect((await features(p.projectId))[0].status).toBe('passing');
  }, 40_000);

  it('retries a 429 (retry-after 1), a 529, a 500 and a cut stream, and the run completes', async () => {
    const p = await project('retry', (featureId) =>
      scriptTurns([
        { content: [toolUse('bash', { command: 'true' })] },
        { content: [toolUse('feature_mark_passing', { feature_id: featureId, evidence: 'true exited 0' })] },
        { content: [text('Done.')] },
      ]),
    );
    fake.failNext({ status: 429, retryAfterSec: 1 });
    fake.failNext({ status: 529 });
    fake.failNext({ status: 500 });
    fake.failNext({ cutStreamAfterEvents: 3 });
    const run = await startRun(p.projectId);
    const { detail: d, entries } = await ended(run.runId);
    expect(d.run).toMatchObject({ status: 'completed', completion: 'all_features_done' });
    const requests = requestsOf(p.name);
    expect(requests.map((r) => [r.status, r.cut])).toEqual([
      [429, false],
      [529, false],
      [500, false],
      [200, true],
      [200, false],
      [200, false],
      [200, false],
    ]);
    // The retries sent the same request again.
    expect(new Set(requests.slice(0, 5).map((r) => r.bodyHash)).size).toBe(1);
    // 429 waited for its retry-after.
    expect(requests[1].at - requests[0].at).toBeGreaterThanOrEqual(900);
    const calls = entries.filter((e) => e.eventType === 'ModelCallCompleted').map((e) => e.data);
    expect(calls.map((c) => c.attempts)).toEqual([5, 1, 1]);
    expect(entries.filter((e) => e.eventType === 'ModelCallFailed')).toEqual([]);
  }, 40_000);

  it('does not retry a 400: the model call fails with the API message and the run fails', async () => {
    const said = 'messages.0.content.0.text: the fake refuses this request';
    const p = await project('invalid', () => scriptTurns([{ content: [text('never sent')] }]));
    fake.failNext({ status: 400, message: said });
    const run = await startRun(p.projectId, { maxSessions: 3 });
    const { detail: d, entries } = await ended(run.runId);
    expect(requestsOf(p.name).map((r) => r.status)).toEqual([400]);
    const failure = entries.find((e) => e.eventType === 'ModelCallFailed')!;
    expect(failure.type).toBe('error');
    expect(failure.data).toMatchObject({ code: 'MODEL_REQUEST_INVALID', status: 400, message: `the Messages API refused the request: ${said}` });
    expect(d.sessions.map((s) => s.outcome)).toEqual(['failed']);
    expect(d.run.status).toBe('failed');
    expect(d.run.reason).toBe(`MODEL_REQUEST_INVALID: the Messages API refused the request: ${said}`);
    expect(entries.find((e) => e.eventType === 'RunFailed')!.data).toMatchObject({ status: 'failed', code: 'MODEL_REQUEST_INVALID' });
    await noFurtherCalls(p.name);
  }, 30_000);

  it('acts on each stop reason: max_tokens continues, pause_turn resends, refusal and a full context window fail the session', async () => {
    const maxTokens = await project('maxtokens', () =>
      scriptTurns([{ content: [text('The first half of a long answer')], stop_reason: stop.maxTokens }, { content: [text('and its end.')] }]),
    );
    const pauseTurn = await project('pauseturn', () =>
      scriptTurns([{ content: [text('Searching the docs for a while')], stop_reason: stop.pauseTurn }, { content: [text('Found it.')] }]),
    );
    const refusal = await project('refusal', () => scriptTurns([{ content: [text('I will not do that.')], stop_reason: stop.refusal }]));
    const context = await project('context', () => scriptTurns([{ content: [text('So much to read')], stop_reason: stop.contextWindowExceeded }]));
    const [a, b, c, e] = await Promise.all([
      startRun(maxTokens.projectId),
      startRun(pauseTurn.projectId),
      startRun(refusal.projectId, { maxSessions: 2 }),
      startRun(context.projectId, { maxSessions: 2 }),
    ]);
    const [ra, rb, rc, re] = await Promise.all([ended(a.runId), ended(b.runId), ended(c.runId), ended(e.runId)]);
    const lastMessage = (r: RecordedRequest) => (r.body as MessagesRequest).messages.at(-1)!;
    const blocks = (content: unknown) => (content as { type: string; text?: string }[]).map(({ type, text: t }) => ({ type, text: t }));

    // max_tokens: the runner asks the model to continue.
    const [, second] = requestsOf(maxTokens.name);
    expect(requestsOf(maxTokens.name)).toHaveLength(2);
    expect(lastMessage(second).role).toBe('user');
    expect(blocks(lastMessage(second).content)).toEqual([{ type: 'text', text: CONTINUE_MESSAGE }]);
    expect(ra.detail.sessions.map((s) => s.outcome)).toEqual(['completed']);
    expect(ra.entries.filter((x) => x.eventType === 'ModelCallCompleted').map((x) => x.data.stopReason)).toEqual(['max_tokens', 'end_turn']);

    // pause_turn: the assistant content goes back as it came, with nothing after it.
    const paused = requestsOf(pauseTurn.name);
    expect(paused).toHaveLength(2);
    const resent = (paused[1].body as MessagesRequest).messages;
    expect(resent).toHaveLength(2);
    expect(resent[1].role).toBe('assistant');
    expect(blocks(resent[1].content)).toEqual([{ type: 'text', text: 'Searching the docs for a while' }]);
    expect(rb.detail.sessions.map((s) => s.outcome)).toEqual(['completed']);

    // refusal and model_context_window_exceeded: an error entry, the session fails, one call a session.
    for (const [p, r, code, message] of [
      [refusal, rc, 'refusal', 'the model refused to continue'],
      [context, re, 'model_context_window_exceeded', "the conversation no longer fits the model's context window"],
    ] as const) {
      expect(requestsOf(p.name)).toHaveLength(2);
      const errors = r.entries.filter((x) => x.eventType === 'ModelCallFailed');
      expect(errors.map((x) => [x.type, x.data.code, x.data.message])).toEqual([
        ['error', code, message],
        ['error', code, message],
      ]);
      expect(r.detail.sessions.map((s) => [s.outcome, s.reason])).toEqual([
        ['failed', `${code}: ${message}`],
        ['failed', `${code}: ${message}`],
      ]);
      expect(r.detail.run).toMatchObject({ status: 'completed', completion: 'max_sessions' });
      await noFurtherCalls(p.name);
    }
  }, 40_000);

  it('holds the test gate through the loop, and skips it in YOLO mode', async () => {
    const testFile = "const test = require('node:test');\nconst assert = require('node:assert');\ntest('gate', () => assert.equal(1 + 1, 2));\n";
    const gate = await project('gate', (featureId) =>
      scriptTurns([
        { content: [toolUse('write_file', { path: 'gate.test.js', content: testFile })] },
        { content: [toolUse('feature_mark_passing', { feature_id: featureId, evidence: 'trust me' })] },
        { content: [toolUse('bash', { command: 'node --test' })] },
        { content: [toolUse('feature_mark_passing', { feature_id: featureId, evidence: 'node --test: 1 pass' })] },
        { content: [text('Done.')] },
      ]),
    );
    const yolo = await project('yolo', (featureId) =>
      scriptTurns([{ content: [toolUse('feature_mark_passing', { feature_id: featureId, evidence: 'looks right' })] }, { content: [text('Done.')] }]),
    );
    const [g, y] = await Promise.all([startRun(gate.projectId), startRun(yolo.projectId, { yolo: true })]);
    const [rg, ry] = await Promise.all([ended(g.runId), ended(y.runId)]);

    const results = toolResults(rg.entries);
    expect(results.map((r) => [r.name, r.isError])).toEqual([
      ['write_file', false],
      ['feature_mark_passing', true],
      ['bash', false],
      ['feature_mark_passing', false],
    ]);
    expect(results[1].content).toMatch(/^test gate: no command exited 0 after the last file change/);
    expect(rg.detail.run).toMatchObject({ status: 'completed', completion: 'all_features_done' });
    const [passed] = await features(gate.projectId);
    expect(passed).toMatchObject({ status: 'passing', yolo: false });
    expect(passed.evidence).toMatchObject({ command: 'node --test', exitCode: 0, note: 'node --test: 1 pass' });
    expect(passed.evidence!.outputTail).toMatch(/# pass 1/);
    const passing = rg.entries.find((e) => e.eventType === 'FeatureStatusChanged' && e.data.to === 'passing')!;
    expect(passing.data).toMatchObject({ yolo: false, evidence: { command: 'node --test' } });

    expect(toolResults(ry.entries).map((r) => [r.name, r.isError])).toEqual([['feature_mark_passing', false]]);
    expect(JSON.parse(toolResults(ry.entries)[0].content)).toMatchObject({ status: 'passing', yolo: true });
    const yoloChange = ry.entries.find((e) => e.eventType === 'FeatureStatusChanged' && e.data.to === 'passing')!;
    expect(yoloChange.data).toMatchObject({ yolo: true, reason: 'YOLO mode: the test gate was skipped', evidence: { command: null } });
    expect(ry.entries.find((e) => e.eventType === 'RunStarted')!.data).toMatchObject({ yolo: true });
    expect((await features(yolo.projectId))[0]).toMatchObject({ status: 'passing', yolo: true });
  }, 40_000);

  it('answers malformed tool input with is_error results naming the problem, and the session carries on', async () => {
    const stranger = randomUUID();
    const p = await project('malformed', () =>
      scriptTurns([
        {
          content: [
            text('Trying some tools.'),
            toolUse('rm_rf', { path: '/' }),
            toolUse('write_file', { path: 'a.txt' }),
            toolUse('bash', { command: 42 }),
            toolUse('bash', { command: 'ls', timeout_sec: 'soon' }),
            toolUse('read_file', { path: 'feature_list.json', lines: 10 }),
            toolUse('feature_mark_in_progress', { feature_id: stranger }),
            toolUse('feature_create_bulk', { features: [] }),
          ],
        },
        { content: [toolUse('feature_get_stats', {})] },
        { content: [text('Done.')] },
      ]),
    );
    const run = await startRun(p.projectId);
    const { detail: d, entries } = await ended(run.runId);
    const results = toolResults(entries);
    expect(results.map((r) => [r.name, r.isError])).toEqual([
      ['rm_rf', true],
      ['write_file', true],
      ['bash', true],
      ['bash', true],
      ['read_file', true],
      ['feature_mark_in_progress', true],
      ['feature_create_bulk', true],
      ['feature_get_stats', false],
    ]);
    const said = results.map((r) => r.content as string);
    expect(said[0]).toMatch(/^unknown tool "rm_rf": the tools of this session are read_file, write_file/);
    expect(said[1]).toBe('invalid input for write_file: content: is required (fields: path, content)');
    expect(said[2]).toMatch(/^invalid input for bash: command: must be a string/);
    expect(said[3]).toMatch(/^invalid input for bash: timeout_sec: must be a number/);
    expect(said[4]).toMatch(/^invalid input for read_file: unknown field lines/);
    expect(said[5]).toBe(`feature ${stranger} is not this session's feature: this session works on ${p.feature.featureId} (see feature_get_next)`);
    expect(said[6]).toMatch(/^unknown tool "feature_create_bulk"/);
    expect(JSON.parse(said[7])).toMatchObject({ total: 1 });
    expect(existsSync(join(p.path, 'a.txt'))).toBe(false);
    expect(d.sessions.map((s) => s.outcome)).toEqual(['completed']);
    expect(d.run).toMatchObject({ status: 'completed', completion: 'max_sessions' });
    expect(entries.filter((e) => e.type === 'error')).toEqual([]);
    expect((await features(p.projectId))[0].status).not.toBe('passing');
    // The runner still answers.
    expect((await query<RunView[]>(S.listRuns, { projectId: p.projectId })).map((r) => r.status)).toEqual(['completed']);
  }, 30_000);
});
