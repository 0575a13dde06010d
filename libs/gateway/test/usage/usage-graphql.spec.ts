import { randomUUID } from 'node:crypto';
import { Subjects, type BudgetView } from '@autocoder/contracts';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN, gql, startUsageGateway, type UsageGateway } from './usage-gateway';

const U = Subjects.usage;
const TOTALS = 'calls costUsd unknownModelCalls usage { input output cacheWrite5m cacheWrite1h cacheRead total }';

describe('gateway: usage in GraphQL', () => {
  let gw: UsageGateway;
  beforeAll(async () => {
    gw = await startUsageGateway();
  });
  afterAll(async () => gw?.close());

  const pricedProject = () => {
    const project = gw.runner.addProject();
    const feature = gw.runner.addFeature(project.projectId, { name: 'login' });
    gw.usage.labels.set(feature.featureId, 'login');
    const run = gw.runner.addRun(project.projectId);
    const at = { projectId: project.projectId, runId: run.runId, featureId: feature.featureId };
    gw.usage.record({ ...at, calledAt: '2026-12-01T08:15:00.000Z', usage: { input: 3_000_000_000, output: 7, cacheWrite5m: 1, cacheWrite1h: 2, cacheRead: 3 }, costUsd: '9000.000021' });
    gw.usage.record({ ...at, calledAt: '2026-12-01T09:45:00.000Z', model: 'mystery', unknownModel: true, usage: { input: 1, output: 1, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, costUsd: '0.000000000001' });
    return { project, feature, run };
  };

  it("reads a project's usage with exact dollar strings, every project's, a series, budgets and the estimate", async () => {
    const { project, feature, run } = pricedProject();
    gw.usage.budgets.set(`project-${project.projectId}`, {
      scope: 'project',
      scopeId: project.projectId,
      projectId: project.projectId,
      softUsd: '8000',
      hardUsd: '10000',
      spentUsd: '0',
      reservedUsd: '0.5',
      warned: true,
      exhausted: false,
    });
    const res = await gql(
      gw,
      gw.agent.apiKey,
      `query($p: ID!) {
        projectUsage(projectId: $p) { projectId totals { ${TOTALS} } byFeature { key label calls costUsd } byRun { key costUsd } byModel { key unknownModelCalls } byDay { key calls } bySession { calls } priceVersions }
        usage { totals { calls } byProject { projectId costUsd } }
        usageSeries(projectId: $p, bucket: HOUR) { at calls costUsd }
        daily: usageSeries(projectId: $p) { at calls }
        budgets(projectId: $p) { scope scopeId softUsd hardUsd spentUsd reservedUsd warned exhausted }
        estimate(projectId: $p) { remainingFeatures estimatedCostUsd basis basedOnFeatures method }
      }`,
      { p: project.projectId },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.projectUsage).toEqual({
      projectId: project.projectId,
      totals: { calls: 2, costUsd: '9000.000021000001', unknownModelCalls: 1, usage: { input: 3_000_000_001, output: 8, cacheWrite5m: 1, cacheWrite1h: 2, cacheRead: 3, total: 3_000_000_015 } },
      byFeature: [{ key: feature.featureId, label: 'login', calls: 2, costUsd: '9000.000021000001' }],
      byRun: [{ key: run.runId, costUsd: '9000.000021000001' }],
      byModel: [
        { key: 'claude-sonnet-4-6', unknownModelCalls: 0 },
        { key: 'mystery', unknownModelCalls: 1 },
      ],
      byDay: [{ key: '2026-12-01', calls: 2 }],
      bySession: [{ calls: 1 }, { calls: 1 }],
      priceVersions: [1],
    });
    expect(res.data.usage.byProject).toContainEqual({ projectId: project.projectId, costUsd: '9000.000021000001' });
    expect(res.data.usage.totals.calls).toBe(gw.usage.lines.length);
    expect(res.data.usageSeries).toEqual([
      { at: '2026-12-01T08:00:00.000Z', calls: 1, costUsd: '9000.000021' },
      { at: '2026-12-01T09:00:00.000Z', calls: 1, costUsd: '0.000000000001' },
    ]);
    expect(res.data.daily).toEqual([{ at: '2026-12-01T00:00:00.000Z', calls: 2 }]);
    expect(gw.usage.sent(U.series).slice(-2).map((e) => e.payload)).toEqual([
      { projectId: project.projectId, bucket: 'hour' },
      { projectId: project.projectId, bucket: 'day' },
    ]);
    expect(res.data.budgets).toEqual([{ scope: 'PROJECT', scopeId: project.projectId, softUsd: '8000', hardUsd: '10000', spentUsd: '9000.000021000001', reservedUsd: '0.5', warned: true, exhausted: false }]);
    expect(res.data.estimate).toEqual({ remainingFeatures: 0, estimatedCostUsd: '0', basis: 'NONE', basedOnFeatures: 0, method: 'no completed features to average yet' });
  });

  it("gives projects their usage and runs their cost as fields; a run's cost is null with an error when usage does not answer", async () => {
    const { project, run } = pricedProject();
    const query = `query($p: ID!) { project(id: $p) { usage { totals { costUsd } } runs { runId cost { calls costUsd unknownModelCalls } } } }`;
    const res = await gql(gw, ADMIN, query, { p: project.projectId });
    expect(res.errors).toBeUndefined();
    expect(res.data.project).toEqual({ usage: { totals: { costUsd: '9000.000021000001' } }, runs: [{ runId: run.runId, cost: { calls: 2, costUsd: '9000.000021000001', unknownModelCalls: 1 } }] });

    const without = await startUsageGateway({ withoutUsage: true });
    try {
      const p = without.runner.addProject();
      const r = without.runner.addRun(p.projectId);
      const partial = await gql(without, ADMIN, `query($r: ID!) { run(id: $r) { runId status cost { costUsd } } }`, { r: r.runId });
      expect(partial.data.run).toEqual({ runId: r.runId, status: 'RUNNING', cost: null });
      expect(partial.errors?.[0]).toMatchObject({ path: ['run', 'cost'], extensions: { code: 'UNAVAILABLE' } });
    } finally {
      await without.close();
    }
  });

  it('counts usage fields in the service-call limit: runs with their cost under every project is refused', async () => {
    const res = await gql(gw, ADMIN, `{ projects { runs { cost { costUsd } } } }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0].message).toMatch(/service calls/);
    expect((await gql(gw, ADMIN, `{ projects { usage { totals { costUsd } } } }`)).errors).toBeUndefined();
  });

  it('sets budgets with the admin token (strings for dollars; null clears), and refuses an agent and bad amounts naming the field', async () => {
    const project = gw.runner.addProject();
    const feature = gw.runner.addFeature(project.projectId);
    const run = gw.runner.addRun(project.projectId);
    const set = `mutation($i: SetBudgetInput!, $c: ID) { setBudget(input: $i, commandId: $c) { scope scopeId projectId softUsd hardUsd } }`;
    const forRun = await gql(gw, ADMIN, set, { i: { scope: 'RUN', scopeId: run.runId, hardUsd: '2.5', softUsd: '2' }, c: 'gql-budget' });
    expect(forRun.errors).toBeUndefined();
    expect(forRun.data.setBudget).toEqual({ scope: 'RUN', scopeId: run.runId, projectId: project.projectId, softUsd: '2', hardUsd: '2.5' });
    expect(gw.usage.sent(U.setBudget).at(-1)!.payload).toEqual({ scope: 'run', scopeId: run.runId, projectId: project.projectId, softUsd: '2', hardUsd: '2.5' });
    const cleared = await gql(gw, ADMIN, set, { i: { scope: 'RUN', scopeId: run.runId, softUsd: null } });
    expect(cleared.data.setBudget).toMatchObject({ softUsd: null, hardUsd: '2.5' });
    expect(gw.usage.sent(U.setBudget).at(-1)!.payload).toEqual({ scope: 'run', scopeId: run.runId, projectId: project.projectId, softUsd: null });

    const forFeature = await gql(gw, ADMIN, set, { i: { scope: 'FEATURE', scopeId: feature.featureId, projectId: project.projectId, hardUsd: '1' } });
    expect(forFeature.data.setBudget).toMatchObject({ scope: 'FEATURE', projectId: project.projectId });
    const noProject = await gql(gw, ADMIN, set, { i: { scope: 'FEATURE', scopeId: feature.featureId, hardUsd: '1' } });
    expect(noProject.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'projectId', message: 'give the project the feature belongs to' }] });

    const before = gw.usage.sent(U.setBudget).length;
    const forbidden = await gql(gw, gw.agent.apiKey, set, { i: { scope: 'PROJECT', scopeId: project.projectId, hardUsd: '1' } });
    expect(forbidden.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const negative = await gql(gw, ADMIN, set, { i: { scope: 'PROJECT', scopeId: project.projectId, hardUsd: '-1', softUsd: 'lots' } });
    expect(negative.errors?.[0].extensions).toMatchObject({
      code: 'VALIDATION_FAILED',
      details: [
        { path: 'softUsd', message: expect.stringMatching(/must be a number of dollars/) },
        { path: 'hardUsd', message: expect.stringMatching(/from 0 to 1000000000/) },
      ],
    });
    expect(gw.usage.sent(U.setBudget).length).toBe(before);
    expect((await gql(gw, null, `{ usage { totals { calls } } }`)).status).toBe(401);
  });

  describe('subscriptions over graphql-ws', () => {
    let client: Client;
    beforeEach(() => {
      client = createClient({ url: gw.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${gw.agent.apiKey}` }, retryAttempts: 0 });
    });
    afterEach(async () => client.dispose());

    const subscribe = (query: string, variables: Record<string, unknown>) => {
      const iterator = client.iterate({ query, variables });
      return { next: () => iterator.next(), stop: () => iterator.return?.() };
    };
    /** graphql-ws acknowledges a subscription only by its first event: wait until the gateway has it open. */
    const opened = () => new Promise((r) => setTimeout(r, 300));

    it("pushes a project's new totals after each recorded call (the live badge), within a second, and no other project's", async () => {
      const project = gw.runner.addProject();
      const other = gw.runner.addProject();
      const run = gw.runner.addRun(project.projectId);
      const sub = subscribe(`subscription($p: ID!) { usageUpdated(projectId: $p) { projectId callId calledAt totals { calls costUsd unknownModelCalls usage { total } } } }`, { p: project.projectId });
      await opened();
      gw.usage.record({ projectId: other.projectId, runId: gw.runner.addRun(other.projectId).runId });
      const latencies: number[] = [];
      for (const [i, cost] of ['0.01', '0.0023'].entries()) {
        const first = sub.next();
        const started = performance.now();
        const line = gw.usage.record({ projectId: project.projectId, runId: run.runId, costUsd: cost });
        const got = await first;
        latencies.push(performance.now() - started);
        expect(got.value).toEqual({
          data: { usageUpdated: { projectId: project.projectId, callId: line.callId, calledAt: line.calledAt, totals: { calls: i + 1, costUsd: i ? '0.0123' : '0.01', unknownModelCalls: 0, usage: { total: 1100 * (i + 1) } } } },
        });
      }
      expect(Math.max(...latencies)).toBeLessThan(1000);
      await sub.stop();
    });

    it("pushes budget alerts of one project's budgets", async () => {
      const project = gw.runner.addProject();
      const run = gw.runner.addRun(project.projectId);
      const sub = subscribe(`subscription($p: ID!) { budgetAlert(projectId: $p) { scope scopeId spentUsd hardUsd exhausted warned } }`, { p: project.projectId });
      await opened();
      const budget = (projectId: string, scopeId: string): BudgetView => ({
        scope: 'run',
        scopeId,
        projectId,
        softUsd: '1',
        hardUsd: '2',
        spentUsd: '2.000001',
        reservedUsd: '0',
        warned: true,
        exhausted: true,
      });
      const first = sub.next();
      gw.usage.alert(budget(randomUUID(), randomUUID()));
      gw.usage.alert(budget(project.projectId, run.runId));
      expect((await first).value).toEqual({ data: { budgetAlert: { scope: 'RUN', scopeId: run.runId, spentUsd: '2.000001', hardUsd: '2', exhausted: true, warned: true } } });
      await sub.stop();
    });

    it('refuses a subscription with a malformed project id, naming it', async () => {
      const sub = subscribe(`subscription { usageUpdated(projectId: "nope") { projectId } }`, {});
      const answer = await sub.next();
      expect(answer.value.errors).toEqual([expect.objectContaining({ message: 'invalid project id: projectId: must be a UUID', extensions: { code: 'VALIDATION_FAILED', details: [{ path: 'projectId', message: 'must be a UUID' }] } })]);
    });
  });
});
