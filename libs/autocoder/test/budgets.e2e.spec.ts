import {
  Subjects,
  budgetStreamName,
  sessionStreamName,
  type BudgetView,
  type CallPriced,
  type CommandEnvelope,
  type FeatureView,
  type ProjectView,
  type RunView,
} from '@autocoder/contracts';
import { AggregateStore } from '@autocoder/eventstore';
import { scriptTurns, startFakeAnthropic, text, toolUse, type FakeAnthropic, type MessagesRequest, type Script } from '@autocoder/fake-anthropic';
import { createLogger, loadConfig } from '@autocoder/platform';
import { buildModelRequest, createModelClient, DEFAULT_CODING_MODEL, sessionDecider, usageOf, UsageBudgetClient } from '@autocoder/runner';
import { picoToUsd, sumPico, usdToPico } from '@autocoder/usage';
import { describeWith } from '@autocoder/testing';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestSystem, type TestSystem } from './harness';

// Issue 8's budgets end to end: the runner reserves with the usage service before every model call
// on the local fake Messages API, the ledger prices each call, the budgets settle from it.

const S = Subjects.runner;
const U = Subjects.usage;
const actor = { kind: 'admin' as const };
const envelope = <P>(payload: P): CommandEnvelope<P> => ({ commandId: randomUUID(), correlationId: randomUUID(), actor, payload });

function projectOf(body: unknown): string | undefined {
  const first = (body as MessagesRequest | undefined)?.messages?.[0];
  const content = typeof first?.content === 'string' ? first.content : (first?.content ?? []).map((b) => (b.type === 'text' ? String(b.text ?? '') : '')).join('');
  return /^Project: (\S+)/.exec(content)?.[1];
}

const scripts = new Map<string, Script>();
const book: Script = (request, ctx) => {
  const name = projectOf(request);
  const script = name ? scripts.get(name) : undefined;
  if (!script) return { content: [text(`A short answer to ${request.messages.length} messages.`)], stop_reason: 'end_turn' };
  return script(request, ctx);
};

describeWith({ postgres: true }, 'budgets on the fake Messages API', () => {
  let fake: FakeAnthropic;
  let system: TestSystem;
  const env = { ...process.env };
  const roots: string[] = [];
  const alerts: BudgetView[] = [];

  beforeAll(async () => {
    fake = await startFakeAnthropic({ script: book });
    process.env.ANTHROPIC_BASE_URL = fake.url;
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test';
    system = await startTestSystem(
      { runner: { ...loadConfig({}).runner, autoContinueDelaySec: 0 } },
      { runnerSweepMs: 200, runnerPollMs: 50, runnerClaimPatienceMs: 10_000, modelStreamRetryDelayMs: 50 },
    );
    system.bus.subscribe<BudgetView>(Subjects.notifications.budgetAlert, (view) => alerts.push(view));
  });
  afterAll(async () => {
    await system?.close();
    await fake?.close();
    for (const root of roots) rmSync(root, { recursive: true, force: true });
    process.env = env;
  });

  const command = <T>(subject: string, payload: unknown) => system.bus.request<T>(subject, envelope(payload));
  const query = <T>(subject: string, payload: unknown) => system.bus.request<T>(subject, { correlationId: randomUUID(), actor, payload });
  const budgetsOf = (projectId: string) => query<BudgetView[]>(U.budgets, { projectId });
  const requestsOf = (name: string) => fake.requests.filter((r) => r.path === '/v1/messages' && projectOf(r.body) === name);
  const eventsOf = async <T>(type: string) => (await system.store.readAll({ after: null, maxCount: 100_000, filter: { types: [type] } })) as unknown as { stream: string; data: T }[];

  async function project(label: string, script: (featureId: string) => Script) {
    const name = `${label}-${randomUUID().slice(0, 8)}`;
    const root = mkdtempSync(join(tmpdir(), 'autocoder-budgets-'));
    roots.push(root);
    const path = join(root, name);
    mkdirSync(path);
    writeFileSync(join(path, 'feature_list.json'), JSON.stringify([{ category: 'functional', name: `${label} works`, description: `The ${label} feature works.`, steps: ['run true'] }]));
    const view = await command<ProjectView>(S.registerProject, { name, spec: `A ${label} project.`, path });
    await command(S.syncFeatures, { projectId: view.projectId });
    const feature = await eventually(async () => (await query<FeatureView[]>(S.listFeatures, { projectId: view.projectId }))[0], 10_000, 'feature imported');
    scripts.set(name, script(feature.featureId));
    return { name, projectId: view.projectId, feature };
  }

  const passingScript = (featureId: string) =>
    scriptTurns([{ content: [toolUse('bash', { command: 'true' })] }, { content: [toolUse('feature_mark_passing', { feature_id: featureId, evidence: 'true exited 0' })] }, { content: [text('Done.')] }]);

  /** What the ledger priced for a project, exactly, in picodollars. */
  const ledgerCostOf = async (projectId: string) => sumPico((await eventsOf<CallPriced['data']>('CallPriced')).filter((e) => e.data.projectId === projectId).map((e) => e.data.costs.total));

  it('refuses budgets below zero or not numbers, naming the field, and stores nothing', async () => {
    const projectId = randomUUID();
    const before = (await eventsOf('BudgetSet')).length;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ hardUsd: -1 }, /hardUsd: must be a number of dollars from 0/],
      [{ softUsd: '-0.5' }, /softUsd: must be a number of dollars from 0/],
      [{ hardUsd: 'ten' }, /hardUsd: must be a number of dollars from 0/],
      [{ softUsd: true }, /softUsd: /],
      [{ hardUsd: null, softUsd: {} }, /softUsd: /],
      [{ hardUsd: '1e3' }, /hardUsd: must be a number of dollars from 0/],
      [{ softUsd: 5, hardUsd: 2 }, /softUsd: the soft threshold \(\$5\) must not be above the hard limit \(\$2\)/],
    ];
    for (const [limits, message] of cases) {
      const error = await command(U.setBudget, { scope: 'project', scopeId: projectId, projectId, ...limits }).then(
        () => null,
        (e: Error & { code?: string }) => e,
      );
      expect({ limits, code: error?.code }).toEqual({ limits, code: 'VALIDATION_FAILED' });
      expect(error!.message).toMatch(message);
    }
    expect((await eventsOf('BudgetSet')).length).toBe(before);
    expect(await budgetsOf(projectId)).toEqual([]);
  });

  it('a tiny hard budget pauses the run before a second call, naming the budget; raising it resumes the run to completion', async () => {
    const p = await project('tiny', passingScript);
    const set = await command<BudgetView>(U.setBudget, { scope: 'project', scopeId: p.projectId, projectId: p.projectId, hardUsd: '0.01' });
    expect(set).toMatchObject({ hardUsd: '0.01', spentUsd: '0', reservedUsd: '0', exhausted: false });
    const run = await command<RunView>(S.startRun, { projectId: p.projectId, maxSessions: 1 });
    const reason = `budget_exhausted: project budget ${p.projectId} ($0.01 hard limit)`;
    const paused = await eventually(async () => {
      const r = await query<RunView>(S.getRun, { runId: run.runId });
      return r.status === 'paused' ? r : undefined;
    }, 20_000, 'run paused by its budget');
    expect(paused.reason).toBe(reason);
    expect(requestsOf(p.name).length).toBeLessThanOrEqual(1);
    const exhausted = await eventually(async () => (await budgetsOf(p.projectId)).find((b) => b.exhausted), 10_000, 'budget listed exhausted');
    expect(exhausted).toMatchObject({ scope: 'project', scopeId: p.projectId, hardUsd: '0.01', reservedUsd: '0' });
    expect(alerts).toContainEqual(expect.objectContaining({ scopeId: p.projectId, exhausted: true }));
    const exhaustedEvents = (await eventsOf<{ hardUsd: string }>('BudgetExhausted')).filter((e) => e.stream === budgetStreamName('project', p.projectId));
    expect(exhaustedEvents).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 500));
    const callsWhilePaused = requestsOf(p.name).length;

    await command(U.setBudget, { scope: 'project', scopeId: p.projectId, projectId: p.projectId, hardUsd: '50' });
    const done = await eventually(async () => {
      const r = await query<RunView>(S.getRun, { runId: run.runId });
      return r.status === 'completed' ? r : undefined;
    }, 30_000, 'run resumed and completed');
    expect(done.completion ?? done.reason).toBeTruthy();
    expect(requestsOf(p.name).length).toBeGreaterThan(callsWhilePaused);
    expect((await query<FeatureView[]>(S.listFeatures, { projectId: p.projectId }))[0].status).toBe('passing');
    // One session, continued after the pause: the same session made every call.
    const sessions = new Set((await eventsOf<{ runId: string; sessionId: string }>('ModelCallCompleted')).filter((e) => e.data.runId === run.runId).map((e) => e.data.sessionId));
    expect(sessions.size).toBe(1);
    // Spent is what the ledger priced, exactly; nothing stays reserved.
    const settled = await eventually(async () => {
      const [b] = await budgetsOf(p.projectId);
      const cost = await ledgerCostOf(p.projectId);
      return cost > 0n && b?.spentUsd === picoToUsd(cost) && b.reservedUsd === '0' ? b : undefined;
    }, 10_000, 'budget settled from the ledger');
    expect(settled).toMatchObject({ exhausted: false, hardUsd: '50' });
  }, 60_000);

  it("a failed call's reservation is given back (ModelCallFailed releases it)", async () => {
    const p = await project('failed', () => scriptTurns([{ content: [text('never sent')] }]));
    await command(U.setBudget, { scope: 'project', scopeId: p.projectId, projectId: p.projectId, hardUsd: '20' });
    fake.failNext({ status: 400, message: 'the fake refuses this request' });
    const run = await command<RunView>(S.startRun, { projectId: p.projectId, maxSessions: 1 });
    await eventually(async () => ((await query<RunView>(S.getRun, { runId: run.runId })).status === 'failed' ? true : undefined), 20_000, 'run failed');
    const stream = budgetStreamName('project', p.projectId);
    const released = await eventually(async () => (await eventsOf<{ reason: string }>('BudgetReleased')).find((e) => e.stream === stream), 10_000, 'reservation released');
    expect(released.data.reason).toBe('the call failed: MODEL_REQUEST_INVALID');
    expect((await eventsOf('BudgetReserved')).filter((e) => e.stream === stream)).toHaveLength(1);
    const budget = await eventually(async () => (await budgetsOf(p.projectId)).find((b) => b.reservedUsd === '0'), 10_000, 'nothing reserved');
    expect(budget).toMatchObject({ spentUsd: '0', exhausted: false });
  }, 40_000);

  it('a soft threshold raises one warning event and a budgetAlert notification', async () => {
    const p = await project('soft', passingScript);
    await command(U.setBudget, { scope: 'project', scopeId: p.projectId, projectId: p.projectId, softUsd: '0.000001' });
    const run = await command<RunView>(S.startRun, { projectId: p.projectId, maxSessions: 1 });
    await eventually(async () => ((await query<RunView>(S.getRun, { runId: run.runId })).status === 'completed' ? true : undefined), 30_000, 'run completed');
    const alert = await eventually(async () => alerts.find((a) => a.scopeId === p.projectId && a.warned), 10_000, 'budgetAlert');
    expect(alert).toMatchObject({ scope: 'project', softUsd: '0.000001', hardUsd: null, warned: true, exhausted: false });
    const warnings = (await eventsOf<{ spentUsd: string; softUsd: string }>('BudgetWarningRaised')).filter((e) => e.stream === budgetStreamName('project', p.projectId));
    expect(warnings).toHaveLength(1);
    expect(warnings[0].data.softUsd).toBe('0.000001');
    expect(requestsOf(p.name).length).toBeGreaterThan(1); // warned, not stopped
  }, 60_000);

  it('four concurrent sessions against one hard budget overshoot it by at most one call each', async () => {
    // Four sessions of one run at once (the runner drives one at a time per run; the budget service
    // cannot tell): each reserves with the runner's own client, calls the fake API, records the call.
    const projectId = randomUUID();
    const runId = randomUUID();
    const hardUsd = '0.05';
    await command(U.setBudget, { scope: 'run', scopeId: runId, projectId, hardUsd });
    const sessions = new AggregateStore(system.store, sessionDecider);
    const gate = new UsageBudgetClient(system.bus, createLogger('test', 'warn'));
    const model = createModelClient({ streamRetryDelayMs: 50 });
    const filler = 'Read this carefully. '.repeat(200); // ~1000 input tokens a call: the real cost is a good part of the ceiling
    const context = (_label: string) => ({ commandId: randomUUID(), correlationId: runId, actor: 'system:test', time: new Date().toISOString() });
    const drive = async () => {
      const sessionId = randomUUID();
      const stream = sessionStreamName(sessionId);
      await sessions.handle(
        stream,
        { type: 'StartSession', data: { projectId, runId, sessionId, featureId: null, taskId: null, kind: 'coding', model: DEFAULT_CODING_MODEL, maxTurns: 1000, prompt: filler, now: new Date().toISOString() } },
        context('start'),
      );
      let calls = 0;
      for (let turn = 0; ; turn++) {
        const params = buildModelRequest({ model: DEFAULT_CODING_MODEL, maxTokens: 64, system: 'Be brief.', tools: [], messages: [{ role: 'user', content: `${filler} (${turn})` }] });
        const decision = await gate.reserve({ projectId, runId, featureId: null, sessionId, turn, model: DEFAULT_CODING_MODEL, maxTokens: 64, inputTokens: Math.ceil(JSON.stringify(params).length / 4) }, new AbortController().signal);
        if (!decision.ok) return { calls, reason: decision.reason };
        const result = await model.call(params);
        const m = result.message;
        await sessions.handle(
          stream,
          {
            type: 'RecordModelCall',
            data: { turn, model: m.model, stopReason: m.stop_reason ?? 'end_turn', latencyMs: result.latencyMs, requestId: result.requestId, attempts: result.attempts, maxTokens: 64, usage: usageOf(m), content: m.content as unknown[], now: new Date().toISOString() },
          },
          context(`call/${turn}`),
        );
        calls++;
        if (turn > 200) throw new Error('the budget never stopped the session');
      }
    };
    const results = await Promise.all([drive(), drive(), drive(), drive()]);
    for (const r of results) expect(r.reason).toBe(`budget_exhausted: run budget ${runId} ($${hardUsd} hard limit)`);
    const calls = results.reduce((n, r) => n + r.calls, 0);
    expect(calls).toBeGreaterThan(4); // they contended: more calls than sessions

    const priced = await eventually(async () => {
      const lines = (await eventsOf<CallPriced['data']>('CallPriced')).filter((e) => e.data.runId === runId);
      return lines.length === calls ? lines : undefined;
    }, 15_000, 'every call priced');
    const spent = sumPico(priced.map((l) => l.data.costs.total));
    const largest = priced.map((l) => BigInt(l.data.costs.total)).reduce((a, b) => (b > a ? b : a));
    const budget = await eventually(async () => {
      const b = (await budgetsOf(projectId)).find((x) => x.scopeId === runId);
      return b && b.spentUsd === picoToUsd(spent) && b.reservedUsd === '0' ? b : undefined;
    }, 15_000, 'budget settled');
    expect(usdToPico(budget.spentUsd)).toBeLessThanOrEqual(usdToPico(hardUsd) + 4n * largest);
    // The estimate is a ceiling, so in fact the limit holds outright.
    expect(spent).toBeLessThanOrEqual(usdToPico(hardUsd));
  }, 90_000);
});
