import { randomUUID } from 'node:crypto';
import { describeWith } from '@autocoder/testing';
import { ADMIN_TOKEN, eventually, gql, rest, seedRegistration, sql, startTestSystem, subscribe, type TestSystem } from './harness';

interface Agent {
  employeeId: string;
  key: string;
}

describeWith({ postgres: true }, 'task pipeline end to end (seed 004, real Postgres)', () => {
  let system: TestSystem;
  const projectId = randomUUID();
  const creator = randomUUID();

  const register = async (codes: string[]): Promise<Agent> => {
    const employeeId = randomUUID();
    const res = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, creator, { specialization_codes: codes }));
    return { employeeId, key: res.body.api_key };
  };
  // The seed's create request, verbatim in shape.
  const createTask = async (over: Record<string, unknown> = {}) => {
    const res = await rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, {
      project_id: projectId,
      title: 'Design Coordinator API',
      description: 'Create endpoint list and payloads',
      required_specialization_code: 'planning',
      created_by: creator,
      priority: 'P1',
      ...over,
    });
    expect(res.status).toBe(200);
    return res.body.task_id as string;
  };
  const claim = (agent: Agent, taskId: string, body: Record<string, unknown> = {}) =>
    rest(system, 'POST', `/api/coord/tasks/${taskId}/claim`, agent.key, { employee_id: agent.employeeId, lease_ttl_sec: 1800, ...body });
  const status = (token: string, taskId: string, body: Record<string, unknown>) => rest(system, 'POST', `/api/coord/tasks/${taskId}/status`, token, body);
  const taskOf = async (taskId: string) => (await rest(system, 'GET', `/api/coord/tasks/${taskId}`, ADMIN_TOKEN)).body.task;
  const events = (taskId: string) => sql<{ type: string }>(`SELECT type FROM ${system.config.schemaPrefix}eventstore.events WHERE stream_id = $1 ORDER BY revision`, [`task-${taskId}`]);

  beforeAll(async () => {
    system = await startTestSystem({}, { leaseSweepMs: 100 });
  });
  afterAll(async () => system?.close());

  it('follows the seed: create, claim, heartbeat, status, release — with the seed payloads', async () => {
    const planner = await register(['planning', 'backend']);
    const created = await rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, {
      project_id: projectId,
      title: 'Design Coordinator API',
      description: 'Create endpoint list and payloads',
      required_specialization_code: 'planning',
      created_by: creator,
      priority: 'P1',
    });
    expect(created.body).toMatchObject({ status: 'ok', task_id: expect.any(String), task: { status: 'ready', priority: 'P1', project_id: projectId } });
    const taskId = created.body.task_id;

    const claimed = await claim(planner, taskId);
    expect(claimed.status).toBe(200);
    expect(Object.keys(claimed.body).sort()).toEqual(['fencing_token', 'lease_expires_at', 'status']);
    expect(claimed.body.status).toBe('ok');
    const expires = Date.parse(claimed.body.lease_expires_at);
    expect(expires - Date.now()).toBeGreaterThan(1790_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(1800_000);

    const beat = await rest(system, 'POST', `/api/coord/tasks/${taskId}/heartbeat`, planner.key, { employee_id: planner.employeeId });
    expect(beat.body).toEqual({ status: 'ok', lease_expires_at: expect.any(String) });
    expect(Date.parse(beat.body.lease_expires_at)).toBeGreaterThanOrEqual(expires);

    const blocked = await status(planner.key, taskId, { employee_id: planner.employeeId, status: 'blocked', blocker: 'Need API schema' });
    expect(blocked.body).toEqual({ status: 'ok', task_status: 'blocked' });
    expect(await taskOf(taskId)).toMatchObject({ status: 'blocked', blocker: 'Need API schema', assignee_id: null });

    await status(ADMIN_TOKEN, taskId, { status: 'ready' });
    await claim(planner, taskId);
    const released = await rest(system, 'POST', `/api/coord/tasks/${taskId}/release`, planner.key, { employee_id: planner.employeeId, reason: 'blocked by missing schema' });
    expect(released.body).toEqual({ status: 'ok', task_status: 'ready' });
    expect((await events(taskId)).map((e) => e.type)).toEqual([
      'TaskCreated',
      'TaskClaimed',
      'LeaseExtended',
      'TaskStatusChanged',
      'TaskStatusChanged',
      'TaskClaimed',
      'TaskReleased',
    ]);

    const listed = await eventually(async () => {
      const res = await rest(system, 'GET', `/api/coord/tasks?project_id=${projectId}&status=ready&specialization=planning`, ADMIN_TOKEN);
      return res.body.tasks.some((t: any) => t.task_id === taskId) ? res.body.tasks : undefined;
    });
    expect(listed.find((t: any) => t.task_id === taskId)).toMatchObject({ title: 'Design Coordinator API', fencing_token: null });
    expect((await rest(system, 'GET', `/api/coord/tasks?project_id=${projectId}&limit=1`, ADMIN_TOKEN)).body.tasks).toHaveLength(1);
  });

  it('walks the whole pipeline to done and keeps one lease per task', async () => {
    const agent = await register(['planning']);
    const taskId = await createTask();
    const { body } = await claim(agent, taskId);
    for (const next of ['in_progress', 'review', 'done']) {
      const res = await status(agent.key, taskId, { employee_id: agent.employeeId, status: next, fencing_token: body.fencing_token });
      expect(res.body).toEqual({ status: 'ok', task_status: next });
    }
    const again = await claim(agent, taskId);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/is done; only a ready task can be claimed/);
  });

  it('refuses an illegal transition naming the current state and the allowed ones', async () => {
    const taskId = await createTask();
    const res = await status(ADMIN_TOKEN, taskId, { status: 'done' });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: 'INVALID_TRANSITION', message: `task ${taskId} is ready; it can move to backlog, blocked, canceled, not done` });
  });

  it('needs the specialization unless override=true, which is recorded', async () => {
    const backend = await register(['backend']);
    const taskId = await createTask();
    const refused = await claim(backend, taskId);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SPECIALIZATION_MISMATCH');
    const forced = await claim(backend, taskId, { override: true });
    expect(forced.status).toBe(200);
    expect(await taskOf(taskId)).toMatchObject({ status: 'claimed', claim_override: true, assignee_id: backend.employeeId });
  });

  it('hands a task to one holder only', async () => {
    const [a, b] = [await register(['planning']), await register(['planning'])];
    const taskId = await createTask();
    const results = await Promise.all([claim(a, taskId), claim(b, taskId)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect((await events(taskId)).filter((e) => e.type === 'TaskClaimed')).toHaveLength(1);
  });

  it('returns a task to ready within a second of a missed heartbeat, and refuses the late holder', async () => {
    const agent = await register(['planning']);
    const taskId = await createTask();
    const sub = subscribe(system, ADMIN_TOKEN, 'subscription($f: TaskFilter) { taskUpdated(filter: $f) { taskId status } }', { f: { projectId, status: 'READY' } });
    await sub.connected;
    const { body } = await claim(agent, taskId, { lease_ttl_sec: 1 });
    const deadline = Date.parse(body.lease_expires_at);
    const back = await eventually(async () => ((await taskOf(taskId)).status === 'ready' ? Date.now() : undefined), 5000, 'task back to ready');
    expect(back - deadline).toBeLessThan(1000);
    expect((await events(taskId)).map((e) => e.type)).toEqual(['TaskCreated', 'TaskClaimed', 'LeaseExpired']);
    expect((await sub.next()).data.taskUpdated).toEqual({ taskId, status: 'READY' });
    await sub.close();

    const late = await rest(system, 'POST', `/api/coord/tasks/${taskId}/heartbeat`, agent.key, { employee_id: agent.employeeId });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('LEASE_NOT_HELD');
    const lateStatus = await status(agent.key, taskId, { employee_id: agent.employeeId, status: 'in_progress' });
    expect(lateStatus.status).toBe(409);
  });

  it('refuses a holder whose lease ran out even before the expiry event is recorded', async () => {
    // A system of its own whose expiry sweep never runs: only the decision can refuse the holder.
    const quiet = await startTestSystem({}, { leaseSweepMs: 3_600_000 });
    try {
      const employeeId = randomUUID();
      const key = (await rest(quiet, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, creator, { specialization_codes: ['planning'] }))).body.api_key;
      const task = await rest(quiet, 'POST', '/api/coord/tasks', ADMIN_TOKEN, { project_id: projectId, title: 't', required_specialization_code: 'planning', created_by: creator });
      const taskId = task.body.task_id;
      await rest(quiet, 'POST', `/api/coord/tasks/${taskId}/claim`, key, { employee_id: employeeId, lease_ttl_sec: 1 });
      await new Promise((r) => setTimeout(r, 1100));
      const late = await rest(quiet, 'POST', `/api/coord/tasks/${taskId}/heartbeat`, key, { employee_id: employeeId });
      expect(late.status).toBe(409);
      expect(late.body.error.code).toBe('LEASE_EXPIRED');
      const lateStatus = await rest(quiet, 'POST', `/api/coord/tasks/${taskId}/status`, key, { employee_id: employeeId, status: 'in_progress' });
      expect(lateStatus.body.error.code).toBe('LEASE_EXPIRED');
      const types = await sql<{ type: string }>(`SELECT type FROM ${quiet.config.schemaPrefix}eventstore.events WHERE stream_id = $1 ORDER BY revision`, [`task-${taskId}`]);
      expect(types.map((e) => e.type)).toEqual(['TaskCreated', 'TaskClaimed']);
    } finally {
      await quiet.close();
    }
  });

  it('claims the best ready task for an agent: priority, then age, skipping unfinished dependencies', async () => {
    const project = randomUUID();
    const spec = `spec-${randomUUID().slice(0, 8)}`;
    const agent = await register([spec]);
    const make = (title: string, priority: string, depends_on: string[] = []) => createTask({ project_id: project, title, priority, required_specialization_code: spec, depends_on });
    const oldP2 = await make('old P2', 'P2');
    const base = await make('base P3', 'P3');
    const dependent = await make('P0 waiting for base', 'P0', [base]);
    const p1 = await make('P1', 'P1');
    await eventually(async () => ((await rest(system, 'GET', `/api/coord/tasks?project_id=${project}`, ADMIN_TOKEN)).body.tasks.length === 4 ? true : undefined));

    const next = async () => (await rest(system, 'POST', '/api/coord/tasks/claim-next', agent.key, { employee_id: agent.employeeId, lease_ttl_sec: 600 })).body;
    expect((await next()).task.task_id).toBe(p1);
    expect((await next()).task.task_id).toBe(oldP2);
    expect((await next()).task.task_id).toBe(base);
    expect(await next()).toEqual({ status: 'ok', task: null });
    for (const s of ['in_progress', 'review', 'done']) await status(ADMIN_TOKEN, base, { status: s });
    await eventually(async () => ((await taskOf(base)).status === 'done' ? true : undefined));
    await eventually(async () => ((await rest(system, 'GET', `/api/coord/tasks?project_id=${project}&status=done`, ADMIN_TOKEN)).body.tasks.length === 1 ? true : undefined));
    expect((await next()).task.task_id).toBe(dependent);
  });

  it('refuses bad input with a clear error and appends nothing', async () => {
    const agent = await register(['planning']);
    const taskId = await createTask();
    const count = async () => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${system.config.schemaPrefix}eventstore.events`))[0].n);
    const before = await count();
    const cases: [Promise<{ status: number; body: any }>, number, RegExp][] = [
      [claim(agent, randomUUID()), 404, /does not exist/],
      [claim(agent, 'not-a-uuid'), 400, /task_id: must be a UUID/],
      [claim(agent, taskId, { lease_ttl_sec: -5 }), 400, /lease_ttl_sec: must be at least 1 and at most 86400 seconds/],
      [claim(agent, taskId, { lease_ttl_sec: 10_000_000 }), 400, /lease_ttl_sec: must be at least 1 and at most 86400 seconds/],
      [claim(agent, taskId, { employee_id: randomUUID() }), 403, /may not act as employee/],
      [rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, { project_id: projectId, title: '', required_specialization_code: 'planning', created_by: creator }), 400, /title: must not be empty/],
      [rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, { project_id: projectId, title: 'x', required_specialization_code: 'planning', created_by: creator, priority: 'P9' }), 400, /priority: must be one of P0, P1, P2, P3/],
      [rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, { project_id: projectId, title: 'x', required_specialization_code: 'planning', created_by: creator, depends_on: [randomUUID()] }), 400, /depends_on: names tasks that do not exist/],
      [rest(system, 'POST', '/api/coord/tasks', agent.key, { project_id: projectId, title: 'x', required_specialization_code: 'planning', created_by: creator }), 403, /needs the admin token/],
      [status(ADMIN_TOKEN, taskId, { status: 'blocked' }), 400, /needs a blocker/],
      [status(ADMIN_TOKEN, taskId, { status: 'sideways' }), 400, /status: must be one of backlog, ready/],
      [rest(system, 'GET', '/api/coord/tasks?limit=0', ADMIN_TOKEN), 400, /limit: must be from 1 to 1000/],
      [rest(system, 'GET', '/api/coord/tasks?limit=lots', ADMIN_TOKEN), 400, /limit: must be a number/],
    ];
    for (const [request, code, message] of cases) {
      const res = await request;
      expect({ status: res.status, message: res.body.error?.message }).toEqual({ status: code, message: expect.stringMatching(message) });
    }
    await status(ADMIN_TOKEN, taskId, { status: 'canceled', reason: 'not needed' });
    const onCanceled = await claim(agent, taskId);
    expect(onCanceled.body.error.message).toMatch(/is canceled; only a ready task can be claimed/);
    expect(await count()).toBe(before + 1);
  });

  it('serves tasks over GraphQL and rebuilds their read model identically', async () => {
    const agent = await register(['planning']);
    const made = await gql(system, ADMIN_TOKEN, `mutation { createTask(input: { projectId: "${projectId}", title: "GQL task", requiredSpecializationCode: "planning", createdBy: "${creator}", priority: P0 }) { taskId status priority } }`);
    expect(made.data.createTask).toMatchObject({ status: 'READY', priority: 'P0' });
    const taskId = made.data.createTask.taskId;
    const claimed = await gql(system, agent.key, `mutation { claimTask(taskId: "${taskId}", leaseTtlSec: 60) { fencingToken task { status assigneeId } } }`);
    expect(claimed.data.claimTask).toEqual({ fencingToken: 1, task: { status: 'CLAIMED', assigneeId: agent.employeeId } });
    const moved = await gql(system, agent.key, `mutation { changeTaskStatus(taskId: "${taskId}", status: IN_PROGRESS, fencingToken: 1) { status } }`);
    expect(moved.data.changeTaskStatus.status).toBe('IN_PROGRESS');
    const stale = await gql(system, agent.key, `mutation { taskHeartbeat(taskId: "${taskId}", fencingToken: 9) { leaseExpiresAt } }`);
    expect(stale.errors?.[0].extensions.code).toBe('LEASE_NOT_HELD');

    const rows = () => sql(`SELECT to_jsonb(t) AS row FROM ${system.config.schemaPrefix}coordinator.tasks t ORDER BY task_id`);
    await eventually(async () => ((await rows()).some((r: any) => r.row.task_id === taskId && r.row.status === 'in_progress') ? true : undefined));
    const before = await rows();
    const rebuilt = await gql(system, ADMIN_TOKEN, 'mutation { rebuildProjections { projections { name rows } } }');
    expect(rebuilt.data.rebuildProjections.projections.map((p: any) => p.name)).toContain('coordinator.tasks');
    expect(await rows()).toEqual(before);
  });
});
