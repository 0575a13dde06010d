import { randomUUID } from 'node:crypto';
import { ErrorCodes, Subjects, type LedgerLine, type Reply } from '@autocoder/contracts';
import { ADMIN, rest, startUsageGateway, type UsageGateway } from './usage-gateway';

const U = Subjects.usage;

/** A project with two features, a run and two sessions, and three priced calls: every bucket, two days, an unknown model. */
function scriptedProject(gw: UsageGateway) {
  const project = gw.runner.addProject({ name: 'priced' });
  const login = gw.runner.addFeature(project.projectId, { name: 'login' });
  const signup = gw.runner.addFeature(project.projectId, { name: 'signup' });
  const run = gw.runner.addRun(project.projectId);
  const [s1, s2] = [gw.runner.addSession(run.runId), gw.runner.addSession(run.runId)];
  gw.usage.labels.set(login.featureId, 'login');
  gw.usage.labels.set(signup.featureId, 'signup');
  const at = { projectId: project.projectId, runId: run.runId };
  const lines = [
    gw.usage.record({ ...at, sessionId: s1.sessionId, featureId: login.featureId, turn: 1, calledAt: '2026-11-30T10:00:00.000Z', usage: { input: 1000, output: 200, cacheWrite5m: 300, cacheWrite1h: 400, cacheRead: 5000 }, costUsd: '0.0123' }),
    gw.usage.record({ ...at, sessionId: s1.sessionId, featureId: login.featureId, turn: 2, calledAt: '2026-12-01T09:00:00.000Z', model: 'claude-opus-4-5', usage: { input: 10, output: 20, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, costUsd: '0.000000000001' }),
    gw.usage.record({
      ...at,
      sessionId: s2.sessionId,
      featureId: signup.featureId,
      turn: 1,
      calledAt: '2026-12-01T10:00:00.000Z',
      model: 'mystery-model',
      match: 'fallback',
      unknownModel: true,
      priceVersion: 2,
      usage: { input: 5, output: 5, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
      costUsd: '0.5',
    }),
  ];
  return { project, login, signup, run, s1, s2, lines };
}

const tokens = (input: number, output: number, cw5m: number, cw1h: number, read: number) => ({
  input,
  output,
  cache_write_5m: cw5m,
  cache_write_1h: cw1h,
  cache_read: read,
  total: input + output + cw5m + cw1h + read,
});

describe('gateway: usage, budgets and estimates over REST', () => {
  let gw: UsageGateway;
  beforeAll(async () => {
    gw = await startUsageGateway();
  });
  afterAll(async () => gw?.close());

  describe('usage', () => {
    it("answers a project's totals with every bucket and the exact cost, and its breakdowns by feature, session, run, model and day", async () => {
      const { project, login, signup, run, s1, s2 } = scriptedProject(gw);
      const res = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage`, ADMIN);
      expect(res.status).toBe(200);
      expect(res.body.project_id).toBe(project.projectId);
      expect(res.body.totals).toEqual({ calls: 3, usage: tokens(1015, 225, 300, 400, 5000), cost_usd: '0.512300000001', unknown_model_calls: 1 });
      expect(res.body.by_feature).toEqual([
        { key: login.featureId, label: 'login', calls: 2, usage: tokens(1010, 220, 300, 400, 5000), cost_usd: '0.012300000001', unknown_model_calls: 0 },
        { key: signup.featureId, label: 'signup', calls: 1, usage: tokens(5, 5, 0, 0, 0), cost_usd: '0.5', unknown_model_calls: 1 },
      ]);
      expect(res.body.by_session.map((r: any) => [r.key, r.calls])).toEqual([
        [s1.sessionId, 2],
        [s2.sessionId, 1],
      ]);
      expect(res.body.by_run).toEqual([{ key: run.runId, label: null, calls: 3, usage: tokens(1015, 225, 300, 400, 5000), cost_usd: '0.512300000001', unknown_model_calls: 1 }]);
      expect(res.body.by_model.map((r: any) => [r.key, r.cost_usd, r.unknown_model_calls])).toEqual([
        ['claude-sonnet-4-6', '0.0123', 0],
        ['claude-opus-4-5', '0.000000000001', 0],
        ['mystery-model', '0.5', 1],
      ]);
      expect(res.body.by_day.map((r: any) => [r.key, r.calls])).toEqual([
        ['2026-11-30', 1],
        ['2026-12-01', 2],
      ]);
      expect(res.body.price_versions).toEqual([1, 2]);
      expect(gw.usage.sent(U.projectUsage).at(-1)).toMatchObject({ actor: { kind: 'admin' }, payload: { projectId: project.projectId } });
    });

    it('narrows to ?from= and ?to=, given to the usage service as they are', async () => {
      const { project } = scriptedProject(gw);
      const res = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage?from=2026-12-01T00:00:00Z&to=2026-12-01T09:30:00Z`, gw.agent.apiKey);
      expect(res.status).toBe(200);
      expect(res.body.totals).toMatchObject({ calls: 1, cost_usd: '0.000000000001' });
      expect(gw.usage.sent(U.projectUsage).at(-1)!.payload).toEqual({ projectId: project.projectId, from: '2026-12-01T00:00:00Z', to: '2026-12-01T09:30:00Z' });
    });

    it('answers every project together on GET /api/usage: each with its name, most expensive first, and their exact sum', async () => {
      const { project } = scriptedProject(gw);
      const cheap = gw.runner.addProject({ name: 'cheap' });
      gw.usage.record({ projectId: cheap.projectId, runId: gw.runner.addRun(cheap.projectId).runId, costUsd: '0.000000000002' });
      const res = await rest(gw, 'GET', '/api/usage', gw.agent.apiKey);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['by_project', 'totals']);
      const keys = res.body.by_project.map((r: any) => r.key);
      expect(keys.indexOf(project.projectId)).toBeLessThan(keys.indexOf(cheap.projectId));
      expect(res.body.by_project.find((r: any) => r.key === project.projectId)).toEqual({
        key: project.projectId,
        label: 'priced',
        calls: 3,
        usage: tokens(1015, 225, 300, 400, 5000),
        cost_usd: '0.512300000001',
        unknown_model_calls: 1,
      });
      // Every line the double holds, summed exactly (picodollars), equals the gateway's total.
      const pico = (usd: string) => BigInt(usd.split('.')[0]) * 10n ** 12n + BigInt((usd.split('.')[1] ?? '').padEnd(12, '0'));
      const sum = gw.usage.lines.reduce((total, l) => total + pico(l.costUsd), 0n);
      expect(pico(res.body.totals.cost_usd)).toBe(sum);
      expect(res.body.totals.calls).toBe(gw.usage.lines.length);
      expect(res.body.totals.unknown_model_calls).toBe(gw.usage.lines.filter((l) => l.unknownModel).length);
    });

    it('answers a series for charts, per hour or day', async () => {
      const { project } = scriptedProject(gw);
      const res = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage/series?bucket=hour`, ADMIN);
      expect(res.status).toBe(200);
      expect(res.body.map((p: any) => [p.at, p.calls, p.cost_usd])).toEqual([
        ['2026-11-30T10:00:00.000Z', 1, '0.0123'],
        ['2026-12-01T09:00:00.000Z', 1, '0.000000000001'],
        ['2026-12-01T10:00:00.000Z', 1, '0.5'],
      ]);
      const bad = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage/series?bucket=week`, ADMIN);
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([{ path: 'bucket', message: 'must be hour or day' }]);
    });

    it('answers 404 for a project the runner does not know (not zeros), and 400 naming a bad id or time', async () => {
      for (const path of ['usage', 'usage.csv', 'budgets', 'estimate', 'usage/series']) {
        const res = await rest(gw, 'GET', `/api/projects/${randomUUID()}/${path}`, ADMIN);
        expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
      }
      const malformed = await rest(gw, 'GET', '/api/projects/nope/usage', ADMIN);
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.details.map((d: any) => d.path)).toContain('project_id');
      const project = gw.runner.addProject();
      const badTime = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage?from=yesterday`, ADMIN);
      expect(badTime.status).toBe(400);
      expect(badTime.body.error.details).toEqual([{ path: 'from', message: expect.stringMatching(/ISO 8601/) }]);
    });
  });

  describe('the ledger as CSV', () => {
    it('writes a header row and one call a line: every bucket, cost_usd, model, unknown_model flag, price version, ids, called_at', async () => {
      const { project, lines } = scriptedProject(gw);
      const odd = gw.usage.record({ projectId: project.projectId, runId: lines[0].runId, model: 'odd,"model"', calledAt: '2026-12-01T11:00:00.000Z', turn: 9, taskId: randomUUID() });
      const res = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage.csv`, gw.agent.apiKey);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8; header=present');
      expect(res.headers.get('content-disposition')).toBe(`attachment; filename="usage-${project.projectId}.csv"`);
      const rows = res.text.split('\r\n');
      expect(rows.at(-1)).toBe(''); // every row ends with CRLF
      expect(rows[0]).toBe(
        'call_id,called_at,project_id,run_id,session_id,feature_id,task_id,turn,model,match,unknown_model,long_context,price_version,' +
          'input_tokens,output_tokens,cache_write_5m_tokens,cache_write_1h_tokens,cache_read_tokens,cost_usd',
      );
      const row = (l: LedgerLine, model = l.model) =>
        [l.callId, l.calledAt, l.projectId, l.runId, l.sessionId, l.featureId ?? '', l.taskId ?? '', l.turn, model, l.match, l.unknownModel, l.longContext, l.priceVersion]
          .concat([l.usage.input, l.usage.output, l.usage.cacheWrite5m, l.usage.cacheWrite1h, l.usage.cacheRead, l.costUsd])
          .join(',');
      expect(rows.slice(1, -1)).toEqual([row(lines[0]), row(lines[1]), row(lines[2]), row(odd, '"odd,""model"""')]);
      expect(rows[1]).toBe(`${lines[0].callId},2026-11-30T10:00:00.000Z,${project.projectId},${lines[0].runId},${lines[0].sessionId},${lines[0].featureId},,1,claude-sonnet-4-6,exact,false,false,1,1000,200,300,400,5000,0.0123`);
      expect(rows[3]).toContain(',mystery-model,fallback,true,false,2,5,5,0,0,0,0.5');
    });

    it('writes a long ledger whole, narrowed by ?from= and ?to= as the usage service takes them', async () => {
      const project = gw.runner.addProject();
      const run = gw.runner.addRun(project.projectId);
      for (let i = 0; i < 2500; i++) gw.usage.record({ projectId: project.projectId, runId: run.runId, calledAt: new Date(Date.UTC(2026, 10, 1) + i * 60_000).toISOString(), turn: i }, { notify: false });
      const all = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage.csv`, ADMIN);
      const rows = all.text.split('\r\n').slice(1, -1);
      expect(rows).toHaveLength(2500);
      expect(rows.map((r) => Number(r.split(',')[7]))).toEqual([...Array(2500).keys()]);
      const narrowed = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage.csv?from=2026-11-01T00:10:00Z&to=2026-11-01T00:20:00Z`, ADMIN);
      expect(narrowed.text.split('\r\n').slice(1, -1)).toHaveLength(10);
      expect(gw.usage.sent(U.ledger).at(-1)!.payload).toEqual({ projectId: project.projectId, from: '2026-11-01T00:10:00Z', to: '2026-11-01T00:20:00Z' });
      const paged = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage.csv?limit=2`, ADMIN);
      expect(paged.status).toBe(400);
      expect(paged.body.error.details).toEqual([{ path: 'limit', message: 'is not a known field' }]);
    });

    it('answers an error, never a short CSV, when the usage service fails', async () => {
      const own = await startUsageGateway();
      try {
        const { project } = scriptedProject(own);
        own.broker.register(U.ledger, async () => ({ ok: false, error: { code: ErrorCodes.Unavailable, message: 'the ledger is gone' } }) satisfies Reply<unknown>);
        const res = await rest(own, 'GET', `/api/projects/${project.projectId}/usage.csv`, ADMIN);
        expect(res.status).toBe(503);
        expect(res.headers.get('content-type')).toMatch(/^application\/json/);
        expect(res.body.error).toEqual({ code: 'UNAVAILABLE', message: 'the ledger is gone' });
      } finally {
        await own.close();
      }
    });
  });

  describe('budgets', () => {
    it('sets a project budget from {soft_usd, hard_usd} (numbers or decimal strings), named after the Idempotency-Key', async () => {
      const project = gw.runner.addProject();
      const res = await rest(gw, 'PUT', `/api/projects/${project.projectId}/budget`, ADMIN, { soft_usd: 4, hard_usd: '5.25' }, { 'idempotency-key': 'budget-1' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({
        scope: 'project',
        scope_id: project.projectId,
        project_id: project.projectId,
        soft_usd: '4',
        hard_usd: '5.25',
        spent_usd: '0',
        reserved_usd: '0',
        warned: false,
        exhausted: false,
      });
      const sent = gw.usage.sent(U.setBudget).at(-1)!;
      expect(sent.payload).toEqual({ scope: 'project', scopeId: project.projectId, projectId: project.projectId, softUsd: '4', hardUsd: '5.25' });
      expect(sent.actor).toEqual({ kind: 'admin' });
      await rest(gw, 'PUT', `/api/projects/${project.projectId}/budget`, ADMIN, { soft_usd: 4, hard_usd: '5.25' }, { 'idempotency-key': 'budget-1' });
      expect(gw.usage.sent(U.setBudget).at(-1)!.commandId).toBe(sent.commandId);

      const cleared = await rest(gw, 'PUT', `/api/projects/${project.projectId}/budget`, ADMIN, { soft_usd: null });
      expect(cleared.body).toMatchObject({ soft_usd: null, hard_usd: '5.25' });
    });

    it("sets a run's budget under the run's project, and a feature's under its project; lists them all", async () => {
      const project = gw.runner.addProject();
      const feature = gw.runner.addFeature(project.projectId);
      const run = gw.runner.addRun(project.projectId);
      gw.usage.record({ projectId: project.projectId, runId: run.runId, featureId: feature.featureId, costUsd: '0.25' });
      const forRun = await rest(gw, 'PUT', `/api/agent-runs/${run.runId}/budget`, ADMIN, { hard_usd: 1 });
      expect(forRun.status).toBe(200);
      expect(forRun.body).toMatchObject({ scope: 'run', scope_id: run.runId, project_id: project.projectId, hard_usd: '1', spent_usd: '0.25' });
      expect(gw.usage.sent(U.setBudget).at(-1)!.payload).toEqual({ scope: 'run', scopeId: run.runId, projectId: project.projectId, hardUsd: '1' });
      const forFeature = await rest(gw, 'PUT', `/api/projects/${project.projectId}/features/${feature.featureId}/budget`, ADMIN, { soft_usd: '0.1' });
      expect(forFeature.body).toMatchObject({ scope: 'feature', scope_id: feature.featureId, project_id: project.projectId, soft_usd: '0.1', hard_usd: null });
      await rest(gw, 'PUT', `/api/projects/${project.projectId}/budget`, ADMIN, { hard_usd: 10 });

      const list = await rest(gw, 'GET', `/api/projects/${project.projectId}/budgets`, gw.agent.apiKey);
      expect(list.status).toBe(200);
      expect(list.body.map((b: any) => [b.scope, b.scope_id, b.spent_usd])).toEqual([
        ['run', run.runId, '0.25'],
        ['feature', feature.featureId, '0.25'],
        ['project', project.projectId, '0.25'],
      ]);
    });

    it('answers 404 for a run, project or feature that does not exist, and sends nothing to the usage service', async () => {
      const project = gw.runner.addProject();
      const before = gw.usage.sent(U.setBudget).length;
      const cases = [`/api/agent-runs/${randomUUID()}/budget`, `/api/projects/${randomUUID()}/budget`, `/api/projects/${project.projectId}/features/${randomUUID()}/budget`];
      for (const path of cases) {
        const res = await rest(gw, 'PUT', path, ADMIN, { hard_usd: 1 });
        expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
      }
      expect(gw.usage.sent(U.setBudget).length).toBe(before);
    });

    it('answers 400 naming the field for budgets below zero or not numbers, and sends nothing', async () => {
      const project = gw.runner.addProject();
      const run = gw.runner.addRun(project.projectId);
      const before = gw.usage.sent(U.setBudget).length;
      const cases: [string, unknown, { path: string; message: RegExp }[]][] = [
        [`/api/projects/${project.projectId}/budget`, { hard_usd: -1 }, [{ path: 'hard_usd', message: /from 0 to 1000000000/ }]],
        [`/api/projects/${project.projectId}/budget`, { soft_usd: 'ten', hard_usd: '-0.5' }, [{ path: 'soft_usd', message: /must be a number of dollars/ }, { path: 'hard_usd', message: /from 0/ }]],
        [`/api/agent-runs/${run.runId}/budget`, { hard_usd: true }, [{ path: 'hard_usd', message: /^must be a number of dollars/ }]],
        [`/api/agent-runs/${run.runId}/budget`, { hard_usd: { usd: 1 } }, [{ path: 'hard_usd', message: /^must be a number of dollars/ }]],
        [`/api/projects/${project.projectId}/budget`, {}, [{ path: 'soft_usd', message: /give a soft limit, a hard limit or both/ }]],
        [`/api/projects/${project.projectId}/budget`, { hard_usd: 1, colour: 'red' }, [{ path: 'colour', message: /is not a known field/ }]],
        [`/api/projects/${project.projectId}/budget`, { hard_usd: 1, scope: 'run' }, [{ path: 'scope', message: /is not a known field/ }]],
        [`/api/projects/not-a-uuid/budget`, { hard_usd: 1 }, [{ path: 'project_id', message: /must be a UUID/ }]],
        [`/api/agent-runs/not-a-uuid/budget`, { hard_usd: 1 }, [{ path: 'run_id', message: /must be a UUID/ }]],
      ];
      for (const [path, body, details] of cases) {
        const res = await rest(gw, 'PUT', path, ADMIN, body);
        expect({ body, status: res.status, code: res.body.error?.code }).toEqual({ body, status: 400, code: 'VALIDATION_FAILED' });
        expect(res.body.error.details).toEqual(details.map((d) => ({ path: d.path, message: expect.stringMatching(d.message) })));
        for (const d of details) expect(res.body.error.message).toContain(`${d.path}: `);
      }
      expect(gw.usage.sent(U.setBudget).length).toBe(before);
    });
  });

  it('answers the estimate of the remaining work, with how it was computed', async () => {
    const project = gw.runner.addProject();
    gw.usage.estimates.set(project.projectId, {
      projectId: project.projectId,
      remainingFeatures: 4,
      estimatedCostUsd: '1.2',
      estimatedTokens: 40_000,
      estimatedSeconds: 600,
      basis: 'project',
      basedOnFeatures: 3,
      method: 'mean of the 3 completed features of this project, times 4',
    });
    const res = await rest(gw, 'GET', `/api/projects/${project.projectId}/estimate`, gw.agent.apiKey);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      project_id: project.projectId,
      remaining_features: 4,
      estimated_cost_usd: '1.2',
      estimated_tokens: 40_000,
      estimated_seconds: 600,
      basis: 'project',
      based_on_features: 3,
      method: 'mean of the 3 completed features of this project, times 4',
    });
  });

  describe('authentication and authorization', () => {
    it('needs a token on every usage path: 401 without one', async () => {
      const id = randomUUID();
      const paths: [string, string][] = [
        ['GET', '/api/usage'],
        ['GET', `/api/projects/${id}/usage`],
        ['GET', `/api/projects/${id}/usage.csv`],
        ['GET', `/api/projects/${id}/budgets`],
        ['GET', `/api/projects/${id}/estimate`],
        ['PUT', `/api/projects/${id}/budget`],
        ['PUT', `/api/agent-runs/${id}/budget`],
        ['PUT', `/api/projects/${id}/features/${id}/budget`],
      ];
      for (const [method, path] of paths) {
        const res = await rest(gw, method, path, null, method === 'PUT' ? { hard_usd: 1 } : undefined);
        expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 401, code: 'UNAUTHENTICATED' });
      }
    });

    it("lets an agent's key read usage, and refuses it every budget with 403 before asking anyone", async () => {
      const { project, run, login } = scriptedProject(gw);
      for (const path of ['/api/usage', `/api/projects/${project.projectId}/usage`, `/api/projects/${project.projectId}/usage.csv`, `/api/projects/${project.projectId}/budgets`]) {
        expect({ path, status: (await rest(gw, 'GET', path, gw.agent.apiKey)).status }).toEqual({ path, status: 200 });
      }
      const [runnerBefore, usageBefore] = [gw.runner.received.length, gw.usage.received.length];
      for (const path of [`/api/projects/${project.projectId}/budget`, `/api/agent-runs/${run.runId}/budget`, `/api/projects/${project.projectId}/features/${login.featureId}/budget`]) {
        const res = await rest(gw, 'PUT', path, gw.agent.apiKey, { hard_usd: 100 });
        expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 403, code: 'FORBIDDEN' });
        expect(res.body.error.message).toBe("setting a budget needs the admin token; an agent's key may only read usage, budgets and estimates");
      }
      // The agent's key is checked with the coordinator once per request; nothing reached the runner's or usage's subjects.
      expect(gw.runner.received.slice(runnerBefore).map((r) => r.subject).filter((s) => !s.startsWith('coordinator.'))).toEqual([]);
      expect(gw.usage.received.length).toBe(usageBefore);
    });
  });

  describe("a run's cost on GET /api/agent-runs/:id", () => {
    it('shows cost_usd and unknown_model_calls from the usage service beside the run', async () => {
      const { run } = scriptedProject(gw);
      const res = await rest(gw, 'GET', `/api/agent-runs/${run.runId}`, gw.agent.apiKey);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: run.runId, status: 'running', cost_usd: '0.512300000001', unknown_model_calls: 1, cost_unavailable: null });
      expect(res.body.sessions).toHaveLength(2);
      expect(gw.usage.sent(U.runCost).at(-1)!.payload).toEqual({ runId: run.runId });
    });

    it('still shows the run, without the cost and saying why, when the usage service does not answer in time', async () => {
      const { run } = scriptedProject(gw);
      gw.usage.silence(U.runCost);
      try {
        const started = Date.now();
        const res = await rest(gw, 'GET', `/api/agent-runs/${run.runId}`, ADMIN);
        const took = Date.now() - started;
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ id: run.runId, status: 'running', cost_usd: null, unknown_model_calls: null });
        expect(res.body.cost_unavailable).toBe('the cost is not known now: UNAVAILABLE: usage.qry.run-cost did not answer within 2000 ms');
        expect(took).toBeLessThan(3500);
      } finally {
        gw.usage.answer(U.runCost);
      }
    });
  });
});

describe('gateway: usage paths without a usage service', () => {
  let gw: UsageGateway;
  beforeAll(async () => {
    gw = await startUsageGateway({ withoutUsage: true });
  });
  afterAll(async () => gw?.close());

  it('shows a run without its cost, saying no service answers, and answers 503 for usage itself', async () => {
    const project = gw.runner.addProject();
    const run = gw.runner.addRun(project.projectId);
    const res = await rest(gw, 'GET', `/api/agent-runs/${run.runId}`, ADMIN);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: run.runId, cost_usd: null, unknown_model_calls: null, cost_unavailable: 'the cost is not known now: UNAVAILABLE: no service answers usage.qry.run-cost' });
    const usage = await rest(gw, 'GET', `/api/projects/${project.projectId}/usage`, ADMIN);
    expect(usage.status).toBe(503);
    expect(usage.body.error).toEqual({ code: 'UNAVAILABLE', message: 'no service answers usage.qry.project' });
    // A missing run is still a 404, not a run without a cost.
    expect((await rest(gw, 'GET', `/api/agent-runs/${randomUUID()}`, ADMIN)).status).toBe(404);
  });
});
