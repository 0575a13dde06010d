import { randomUUID } from 'node:crypto';
import { Subjects } from '@autocoder/contracts';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN, gql, startRunnerGateway, type RunnerGateway } from './runner-gateway';

const R = Subjects.runner;

describe('gateway: the runner in GraphQL', () => {
  let gw: RunnerGateway;
  beforeAll(async () => {
    gw = await startRunnerGateway();
  });
  afterAll(async () => gw?.close());

  it('reads projects with their feature counts, runs, sessions and token totals', async () => {
    const project = gw.runner.addProject({ name: 'graph' });
    gw.runner.addFeature(project.projectId, { status: 'passing' });
    gw.runner.addFeature(project.projectId, { status: 'in_progress' });
    const run = gw.runner.addRun(project.projectId, { usage: { input: 3_000_000_000, output: 5, cacheWrite5m: 1, cacheWrite1h: 2, cacheRead: 7 } });
    const session = gw.runner.addSession(run.runId);
    const res = await gql(
      gw,
      ADMIN,
      `query($id: ID!) { project(id: $id) { projectId name featureCounts { inProgress passing total } features { name status } runs { runId status sessionCount usage { input total } sessions { sessionId kind } } } }`,
      { id: project.projectId },
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.project).toEqual({
      projectId: project.projectId,
      name: 'graph',
      featureCounts: { inProgress: 1, passing: 1, total: 2 },
      features: [
        { name: 'feature 1', status: 'PASSING' },
        { name: 'feature 2', status: 'IN_PROGRESS' },
      ],
      runs: [{ runId: run.runId, status: 'RUNNING', sessionCount: 1, usage: { input: 3_000_000_000, total: 3_000_000_015 }, sessions: [{ sessionId: session.sessionId, kind: 'INITIALIZER' }] }],
    });
    const lists = await gql(gw, gw.agent.apiKey, `query($p: ID!, $r: ID!) { projects { projectId } features(projectId: $p) { featureId } runs(projectId: $p) { runId } run(id: $r) { runId } sessions(runId: $r) { number } }`, {
      p: project.projectId,
      r: run.runId,
    });
    expect(lists.errors).toBeUndefined();
    expect(lists.data.projects.map((p: any) => p.projectId)).toContain(project.projectId);
    expect(lists.data.features).toHaveLength(2);
    expect(lists.data.sessions).toEqual([{ number: 1 }]);
  });

  it("pages a session's events after a position", async () => {
    const run = gw.runner.addRun(gw.runner.addProject().projectId);
    const session = gw.runner.addSession(run.runId);
    const [a, b] = [gw.runner.emit(run.runId, 'tool_call', { n: 1 }, { sessionId: session.sessionId }), gw.runner.emit(run.runId, 'tool_result', { n: 2 }, { sessionId: session.sessionId })];
    gw.runner.emit(run.runId, 'status', {}, { sessionId: null });
    const query = `query($s: ID!, $after: Int, $limit: Int) { sessionEvents(sessionId: $s, after: $after, limit: $limit) { entries { seq type eventType data } finished } }`;
    const first = await gql(gw, ADMIN, query, { s: session.sessionId, limit: 1 });
    expect(first.data.sessionEvents).toEqual({ entries: [{ seq: a.seq, type: 'TOOL_CALL', eventType: 'tool_call', data: { n: 1 } }], finished: false });
    const next = await gql(gw, ADMIN, query, { s: session.sessionId, after: a.seq });
    expect(next.data.sessionEvents.entries.map((e: any) => e.seq)).toEqual([b.seq]);
    const bad = await gql(gw, ADMIN, query, { s: session.sessionId, limit: 5000 });
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'limit', message: 'must be from 1 to 1000' }] });
  });

  it('registers, updates, syncs, starts and steers with the admin token', async () => {
    const registered = await gql(gw, ADMIN, `mutation { registerProject(input: { name: "gql", spec: "Build it.", network: true }, commandId: "reg-1") { projectId name network } }`);
    expect(registered.errors).toBeUndefined();
    const projectId = registered.data.registerProject.projectId;
    expect(gw.runner.sent(R.registerProject).at(-1)!.payload).toEqual({ name: 'gql', spec: 'Build it.', network: true });
    const updated = await gql(gw, ADMIN, `mutation($p: ID!) { updateProject(input: { projectId: $p, name: "gql 2" }) { name } }`, { p: projectId });
    expect(updated.data.updateProject.name).toBe('gql 2');
    const synced = await gql(gw, ADMIN, `mutation($p: ID!) { syncFeatures(projectId: $p) { imported updated unchanged } }`, { p: projectId });
    expect(synced.data.syncFeatures).toEqual({ imported: 2, updated: 0, unchanged: 1 });
    const started = await gql(gw, ADMIN, `mutation($p: ID!) { startRun(input: { projectId: $p, yolo: true, maxSessions: 2 }) { runId status yolo limits { maxSessions maxTokens } } }`, { p: projectId });
    expect(started.data.startRun).toMatchObject({ status: 'RUNNING', yolo: true, limits: { maxSessions: 2, maxTokens: 0 } });
    const runId = started.data.startRun.runId;
    const steer = async (mutation: string) => (await gql(gw, ADMIN, `mutation($r: ID!) { ${mutation} { status reason } }`, { r: runId })).data;
    expect(await steer('pauseRun(runId: $r, reason: "wait")')).toEqual({ pauseRun: { status: 'PAUSED', reason: 'wait' } });
    expect(await steer('resumeRun(runId: $r)')).toEqual({ resumeRun: { status: 'RUNNING', reason: null } });
    expect(await steer('stopRun(runId: $r)')).toEqual({ stopRun: { status: 'STOPPED', reason: null } });
  });

  it("refuses an agent's key every mutation, bad input naming the field, and unknown ids", async () => {
    const forbidden = await gql(gw, gw.agent.apiKey, `mutation { registerProject(input: { name: "x", spec: "y" }) { projectId } }`);
    expect(forbidden.errors?.[0].extensions.code).toBe('FORBIDDEN');
    const bad = await gql(gw, ADMIN, `mutation { registerProject(input: { name: "x", spec: "y", path: "relative/dir" }) { projectId } }`);
    expect(bad.errors?.[0].extensions).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'path', message: expect.stringMatching(/absolute path/) }] });
    const missing = await gql(gw, ADMIN, `query($id: ID!) { run(id: $id) { runId } }`, { id: randomUUID() });
    expect(missing.errors?.[0].extensions.code).toBe('NOT_FOUND');
    expect((await gql(gw, null, `{ projects { projectId } }`)).status).toBe(401);
  });

  it('refuses a document whose nested lists could cause too many service calls', async () => {
    const res = await gql(gw, ADMIN, `{ projects { runs { sessions { sessionId } } } }`);
    expect(res.status).toBe(400);
    expect(res.errors?.[0].message).toMatch(/service calls/);
    // One level of nesting is fine.
    expect((await gql(gw, ADMIN, `{ projects { runs { runId } } }`)).errors).toBeUndefined();
  });

  it('pushes runEventAdded for one run and featureUpdated for one project over graphql-ws', async () => {
    const project = gw.runner.addProject();
    const feature = gw.runner.addFeature(project.projectId);
    const run = gw.runner.addRun(project.projectId);
    const other = gw.runner.addRun(gw.runner.addProject().projectId);
    const client = createClient({ url: gw.url.replace('http', 'ws') + '/graphql', webSocketImpl: WebSocket, connectionParams: { Authorization: `Bearer ${gw.agent.apiKey}` }, retryAttempts: 0 });
    const next = (query: string, variables: Record<string, unknown>) => {
      const iterator = client.iterate({ query, variables });
      return { first: iterator.next(), iterator };
    };
    const events = next(`subscription($r: ID!) { runEventAdded(runId: $r) { seq type runId data } }`, { r: run.runId });
    const features = next(`subscription($p: ID!) { featureUpdated(projectId: $p) { featureId status } }`, { p: project.projectId });
    await new Promise((r) => setTimeout(r, 300)); // both subscribed
    gw.runner.emit(other.runId, 'status', { elsewhere: true });
    const entry = gw.runner.emit(run.runId, 'feature', { featureId: feature.featureId });
    gw.runner.changeFeature(feature.featureId, { status: 'passing' });
    expect((await events.first).value).toEqual({ data: { runEventAdded: { seq: entry.seq, type: 'FEATURE', runId: run.runId, data: { featureId: feature.featureId } } } });
    expect((await features.first).value).toEqual({ data: { featureUpdated: { featureId: feature.featureId, status: 'PASSING' } } });
    await events.iterator.return?.();
    await features.iterator.return?.();
    await client.dispose();
  });
});
