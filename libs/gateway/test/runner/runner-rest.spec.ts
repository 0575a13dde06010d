import { randomUUID } from 'node:crypto';
import { Subjects } from '@autocoder/contracts';
import { ADMIN, rest, startRunnerGateway, type RunnerGateway } from './runner-gateway';

const R = Subjects.runner;

describe('gateway: the runner REST paths (seed 002)', () => {
  let gw: RunnerGateway;
  beforeAll(async () => {
    gw = await startRunnerGateway();
  });
  afterAll(async () => gw?.close());

  describe('projects', () => {
    it('registers a project from the seed payload: 201 with the project in snake_case, the runner given camelCase', async () => {
      const res = await rest(gw, 'POST', '/api/projects', ADMIN, { name: 'todo', spec: 'Build a todo app.', path: '/srv/todo', repository_url: 'https://example.com/todo.git' });
      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        name: 'todo',
        spec: 'Build a todo app.',
        path: '/srv/todo',
        repository_url: 'https://example.com/todo.git',
        network: false,
        feature_counts: { pending: 0, in_progress: 0, passing: 0, failing: 0, skipped: 0, total: 0 },
        registered_at: expect.any(String),
        updated_at: expect.any(String),
      });
      const sent = gw.runner.sent(R.registerProject).at(-1)!;
      expect(sent.payload).toEqual({ name: 'todo', spec: 'Build a todo app.', path: '/srv/todo', repositoryUrl: 'https://example.com/todo.git', network: false });
      expect(sent.actor).toEqual({ kind: 'admin' });
    });

    it('names the command after the Idempotency-Key, so a retry is the same command', async () => {
      const body = { name: 'retry me', spec: 'x' };
      await rest(gw, 'POST', '/api/projects', ADMIN, body, { 'idempotency-key': 'register-once' });
      await rest(gw, 'POST', '/api/projects', ADMIN, body, { 'idempotency-key': 'register-once' });
      await rest(gw, 'POST', '/api/projects', ADMIN, body);
      const [a, b, c] = gw.runner.sent(R.registerProject).slice(-3);
      expect(a.commandId).toBe(b.commandId);
      expect(c.commandId).not.toBe(a.commandId);
    });

    it('lists, reads with feature counts, updates, lists features and syncs them', async () => {
      const project = gw.runner.addProject({ name: 'counted' });
      gw.runner.addFeature(project.projectId, { status: 'passing' });
      gw.runner.addFeature(project.projectId, { status: 'in_progress', dependsOn: ['x'] });
      gw.runner.addFeature(project.projectId);

      const list = await rest(gw, 'GET', '/api/projects', ADMIN);
      expect(list.status).toBe(200);
      expect(list.body.map((p: any) => p.id)).toContain(project.projectId);

      const one = await rest(gw, 'GET', `/api/projects/${project.projectId}`, ADMIN);
      expect(one.body.feature_counts).toEqual({ pending: 1, in_progress: 1, passing: 1, failing: 0, skipped: 0, total: 3 });

      const patched = await rest(gw, 'PATCH', `/api/projects/${project.projectId}`, ADMIN, { name: 'renamed', network: true });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ id: project.projectId, name: 'renamed', network: true });
      expect(gw.runner.sent(R.updateProject).at(-1)!.payload).toEqual({ projectId: project.projectId, name: 'renamed', network: true });

      const features = await rest(gw, 'GET', `/api/projects/${project.projectId}/features`, ADMIN);
      expect(features.body).toHaveLength(3);
      expect(features.body[1]).toMatchObject({ project_id: project.projectId, status: 'in_progress', depends_on: ['x'], task_id: expect.any(String), steps: expect.any(Array) });

      const synced = await rest(gw, 'POST', `/api/projects/${project.projectId}/features/sync`, ADMIN);
      expect(synced).toMatchObject({ status: 200, body: { imported: 2, updated: 0, unchanged: 1 } });
    });
  });

  describe('bad input and unknown ids', () => {
    it('answers 400 naming each bad field as the caller spelled it, and sends nothing to the runner', async () => {
      const before = gw.runner.sent(R.registerProject).length;
      const res = await rest(gw, 'POST', '/api/projects', ADMIN, { name: '', spec: 5, repository_url: 'ftp://x', colour: 'red' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      const paths = res.body.error.details.map((d: any) => d.path).sort();
      expect(paths).toEqual(['colour', 'name', 'repository_url', 'spec']);
      expect(res.body.error.message).toMatch(/repository_url: must be an http\(s\), ssh or file URL/);
      expect(gw.runner.sent(R.registerProject).length).toBe(before);
    });

    it('refuses run limits out of range and malformed ids, naming them', async () => {
      const project = gw.runner.addProject();
      const res = await rest(gw, 'POST', `/api/projects/${project.projectId}/agent-runs`, ADMIN, { max_sessions: 0, max_tokens: 1.5 });
      expect(res.status).toBe(400);
      expect(res.body.error.details.map((d: any) => d.path).sort()).toEqual(['max_sessions', 'max_tokens']);
      const malformed = await rest(gw, 'GET', '/api/projects/not-a-uuid', ADMIN);
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.details).toEqual([{ path: 'project_id', message: 'must be a UUID' }]);
      const badLevel = await rest(gw, 'GET', `/api/agent-runs/${randomUUID()}/logs?level=loud`, ADMIN);
      expect(badLevel.status).toBe(400);
      expect(badLevel.body.error.details[0].path).toBe('level');
    });

    it('answers 404 for projects and runs that do not exist', async () => {
      for (const path of [`/api/projects/${randomUUID()}`, `/api/projects/${randomUUID()}/features`, `/api/projects/${randomUUID()}/agent-runs`, `/api/agent-runs/${randomUUID()}`, `/api/agent-runs/${randomUUID()}/stream`]) {
        const res = await rest(gw, 'GET', path, ADMIN);
        expect({ path, status: res.status, code: res.body?.error?.code }).toEqual({ path, status: 404, code: 'NOT_FOUND' });
      }
      const stop = await rest(gw, 'POST', `/api/agent-runs/${randomUUID()}/stop`, ADMIN);
      expect(stop.status).toBe(404);
    });
  });

  describe('authentication and authorization', () => {
    it('needs a token: 401 without one', async () => {
      for (const [method, path] of [['GET', '/api/projects'], ['POST', '/api/projects'], ['GET', `/api/agent-runs/${randomUUID()}/stream`]]) {
        const res = await rest(gw, method, path, null);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
      }
    });

    it("lets an agent's key read, and refuses it every change with 403", async () => {
      const project = gw.runner.addProject();
      const run = gw.runner.addRun(project.projectId);
      const key = gw.agent.apiKey;
      expect((await rest(gw, 'GET', '/api/projects', key)).status).toBe(200);
      expect((await rest(gw, 'GET', `/api/agent-runs/${run.runId}`, key)).status).toBe(200);
      const before = gw.runner.received.length;
      const changes: [string, string, unknown][] = [
        ['POST', '/api/projects', { name: 'x', spec: 'y' }],
        ['PATCH', `/api/projects/${project.projectId}`, { name: 'x' }],
        ['POST', `/api/projects/${project.projectId}/features/sync`, undefined],
        ['POST', `/api/projects/${project.projectId}/agent-runs`, {}],
        ['POST', `/api/agent-runs/${run.runId}/stop`, undefined],
        ['POST', `/api/agent-runs/${run.runId}/pause`, undefined],
        ['POST', `/api/agent-runs/${run.runId}/resume`, undefined],
      ];
      for (const [method, path, body] of changes) {
        const res = await rest(gw, method, path, key, body);
        expect({ path, status: res.status, code: res.body.error?.code }).toEqual({ path, status: 403, code: 'FORBIDDEN' });
        expect(res.body.error.message).toMatch(/needs the admin token/);
      }
      expect(gw.runner.received.slice(before).map((r) => r.subject)).toEqual([]);
    });
  });

  describe('runs', () => {
    it('starts a run from the seed payload: 201 {id, ...run}', async () => {
      const project = gw.runner.addProject();
      const res = await rest(gw, 'POST', `/api/projects/${project.projectId}/agent-runs`, ADMIN, { yolo: true, model: 'claude-opus-4-5', max_sessions: 3, max_turns_per_session: 50, max_tokens: 100000 });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        id: expect.any(String),
        project_id: project.projectId,
        status: 'running',
        yolo: true,
        model: 'claude-opus-4-5',
        limits: { max_sessions: 3, max_turns_per_session: 50, max_tokens: 100000 },
        session_count: 0,
        usage: { input: 0, output: 0, cache_write_5m: 0, cache_write_1h: 0, cache_read: 0, total: 0 },
      });
      expect(gw.runner.sent(R.startRun).at(-1)!.payload).toEqual({ projectId: project.projectId, yolo: true, model: 'claude-opus-4-5', maxSessions: 3, maxTurnsPerSession: 50, maxTokens: 100000 });
      const listed = await rest(gw, 'GET', `/api/projects/${project.projectId}/agent-runs`, ADMIN);
      expect(listed.body.map((r: any) => r.id)).toEqual([res.body.id]);
      const orchestratorForm = await rest(gw, 'POST', '/api/agent-runs', ADMIN, { project_id: project.projectId });
      expect(orchestratorForm).toMatchObject({ status: 201, body: { project_id: project.projectId, yolo: false } });
    });

    it('reads a run with its status, sessions, feature counts and token totals', async () => {
      const project = gw.runner.addProject();
      const run = gw.runner.addRun(project.projectId, {
        featureCounts: { pending: 1, in_progress: 0, passing: 2, failing: 0, skipped: 0, total: 3 },
        usage: { input: 100, output: 50, cacheWrite5m: 10, cacheWrite1h: 0, cacheRead: 1000 },
      });
      const session = gw.runner.addSession(run.runId, { turns: 4, usage: { input: 100, output: 50, cacheWrite5m: 10, cacheWrite1h: 0, cacheRead: 1000 } });
      const res = await rest(gw, 'GET', `/api/agent-runs/${run.runId}`, ADMIN);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        id: run.runId,
        status: 'running',
        session_count: 1,
        feature_counts: { passing: 2, total: 3 },
        usage: { input: 100, output: 50, cache_write_5m: 10, cache_write_1h: 0, cache_read: 1000, total: 1160 },
      });
      expect(res.body.sessions).toEqual([expect.objectContaining({ id: session.sessionId, run_id: run.runId, number: 1, kind: 'initializer', turns: 4, usage: expect.objectContaining({ total: 1160 }) })]);
    });

    it('pauses, resumes and stops with the admin token, passing the reason on', async () => {
      const run = gw.runner.addRun(gw.runner.addProject().projectId);
      const paused = await rest(gw, 'POST', `/api/agent-runs/${run.runId}/pause`, ADMIN, { reason: 'lunch' });
      expect(paused).toMatchObject({ status: 200, body: { id: run.runId, status: 'paused', reason: 'lunch' } });
      expect(gw.runner.sent(R.pauseRun).at(-1)!.payload).toEqual({ runId: run.runId, reason: 'lunch' });
      expect((await rest(gw, 'POST', `/api/agent-runs/${run.runId}/resume`, ADMIN)).body.status).toBe('running');
      expect((await rest(gw, 'POST', `/api/agent-runs/${run.runId}/stop`, ADMIN)).body.status).toBe('stopped');
      const again = await rest(gw, 'POST', `/api/agent-runs/${run.runId}/stop`, ADMIN);
      expect(again).toMatchObject({ status: 409, body: { error: { code: 'INVALID_TRANSITION' } } });
    });

    it('lists log lines by level and session, and exports a session as NDJSON', async () => {
      const run = gw.runner.addRun(gw.runner.addProject().projectId);
      const s1 = gw.runner.addSession(run.runId);
      const s2 = gw.runner.addSession(run.runId);
      gw.runner.emit(run.runId, 'tool_call', { name: 'bash' }, { sessionId: s1.sessionId });
      gw.runner.emit(run.runId, 'error', { message: 'boom' }, { sessionId: s1.sessionId });
      gw.runner.emit(run.runId, 'status', { status: 'running' }, { sessionId: s2.sessionId });

      const errors = await rest(gw, 'GET', `/api/agent-runs/${run.runId}/logs?level=error`, ADMIN);
      expect(errors.status).toBe(200);
      expect(errors.body).toEqual([expect.objectContaining({ level: 'error', msg: 'error: boom', run_id: run.runId, session_id: s1.sessionId, event_type: 'error' })]);
      const ofS2 = await rest(gw, 'GET', `/api/agent-runs/${run.runId}/logs?session_id=${s2.sessionId}`, ADMIN);
      expect(ofS2.body.map((l: any) => l.session_id)).toEqual([s2.sessionId]);
      expect(gw.runner.sent(R.runLogs).at(-1)!.payload).toMatchObject({ runId: run.runId, sessionId: s2.sessionId });

      const exported = await rest(gw, 'GET', `/api/agent-runs/${run.runId}/sessions/${s1.sessionId}/log.ndjson`, ADMIN);
      expect(exported.status).toBe(200);
      expect(exported.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      const lines = exported.text.trimEnd().split('\n').map((l) => JSON.parse(l));
      expect(lines.map((l) => l.level)).toEqual(['debug', 'error']);
      expect((await rest(gw, 'GET', `/api/agent-runs/${run.runId}/sessions/${randomUUID()}/log.ndjson`, ADMIN)).status).toBe(404);
    });
  });
});
