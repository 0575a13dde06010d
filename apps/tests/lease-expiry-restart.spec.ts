import { randomUUID } from 'node:crypto';
import { TEST_DATABASE_URL, describeWith } from '@autocoder/testing';
import { Client } from 'pg';
import { rest, startService, stopAllServices, type ServiceProcess } from './src/processes';
import { isolatedInstallation } from './src/isolated-installation';

/**
 * Lease deadlines live in the events, not in a process: a coordinator killed right after handing
 * out a lease is replaced by a new process that still returns the task to ready within a second of
 * the deadline; and two coordinators sweeping the same leases append one LeaseExpired per lease.
 */

const SPECIALIZATION = 'lease';
/** How much after its deadline a lease may still be in force (the design's "within 1 second"). */
const EXPIRY_SLACK_MS = 1000;

interface Agent {
  employeeId: string;
  apiKey: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describeWith({ postgres: true, nats: true }, 'lease expiry across a coordinator restart (separate processes, Postgres and NATS)', () => {
  const installation = isolatedInstallation('lease');
  const { prefix, adminToken, env } = installation;
  const projectId = randomUUID();
  const creator = randomUUID();

  const suiteStarted = Date.now();
  const timings: Record<string, unknown> = {};
  let db: Client;
  let gateway: ServiceProcess;
  /** The coordinators that serve now (the killed one is dropped). */
  let coordinators: ServiceProcess[] = [];

  const register = async (name: string): Promise<Agent> => {
    const employeeId = randomUUID();
    const res = await rest(gateway.url, 'POST', '/api/coord/agents/register', adminToken, {
      employee_id: employeeId,
      name,
      endpoint_url: null,
      specialization_codes: [SPECIALIZATION],
      capabilities: {},
      owner_employee_id: creator,
    });
    if (res.status !== 200) throw new Error(`registering ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return { employeeId, apiKey: res.body.api_key };
  };

  const createTask = async (title: string): Promise<string> => {
    const res = await rest(gateway.url, 'POST', '/api/coord/tasks', adminToken, {
      project_id: projectId,
      title,
      description: 'its lease runs out',
      required_specialization_code: SPECIALIZATION,
      created_by: creator,
      priority: 'P1',
    });
    if (res.status !== 200) throw new Error(`creating ${title} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.task_id;
  };

  const claim = async (agent: Agent, taskId: string, ttlSec: number) => {
    const res = await rest(gateway.url, 'POST', `/api/coord/tasks/${taskId}/claim`, agent.apiKey, { employee_id: agent.employeeId, lease_ttl_sec: ttlSec });
    if (res.status !== 200) throw new Error(`claiming ${taskId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return { deadline: Date.parse(res.body.lease_expires_at), leaseExpiresAt: res.body.lease_expires_at as string, fencingToken: res.body.fencing_token as number };
  };

  const taskStatus = async (taskId: string): Promise<string> => {
    const res = await rest(gateway.url, 'GET', `/api/coord/tasks/${taskId}`, adminToken, undefined, 5000);
    if (res.status !== 200) throw new Error(`GET task ${taskId} answered ${res.status}: ${JSON.stringify(res.body)}`);
    return res.body.task.status;
  };

  /**
   * Polls the task (every 50 ms) until it reads `ready`; returns when that was first seen, and
   * fails if it was ready before its deadline or is still held past deadline + slack + 2 s.
   */
  const readyAt = async (taskId: string, deadline: number): Promise<number> => {
    const giveUp = deadline + EXPIRY_SLACK_MS + 2000;
    for (;;) {
      const status = await taskStatus(taskId);
      const seen = Date.now();
      if (status === 'ready') {
        if (seen < deadline) throw new Error(`task ${taskId} was ready ${deadline - seen} ms before its lease deadline`);
        return seen;
      }
      expect(status).toBe('claimed');
      if (Date.now() > giveUp) throw new Error(`task ${taskId} still ${status} ${Date.now() - deadline} ms after its lease deadline`);
      await sleep(50);
    }
  };

  const leaseExpiredEvents = async (taskId: string) =>
    (
      await db.query<{ lease_expires_at: string; expired_at: string; agent_id: string }>(
        `SELECT data->>'leaseExpiresAt' AS lease_expires_at, data->>'expiredAt' AS expired_at, data->>'agentId' AS agent_id
           FROM "${prefix}_eventstore".events WHERE type = 'LeaseExpired' AND stream_id = $1 ORDER BY position`,
        [`task-${taskId}`],
      )
    ).rows;
  const streamTypes = async (taskId: string) =>
    (await db.query<{ type: string }>(`SELECT type FROM "${prefix}_eventstore".events WHERE stream_id = $1 ORDER BY revision`, [`task-${taskId}`])).rows.map((r) => r.type);

  /** One log line per LeaseExpired a coordinator appended (libs/coordinator/src/tasks/tasks-service.ts). */
  const expiriesLoggedBy = (service: ServiceProcess, taskId?: string) =>
    service
      .stdout()
      .split('\n')
      .filter((line) => line.includes('"msg":"lease expired: task back to ready"') && (!taskId || line.includes(taskId))).length;

  beforeAll(async () => {
    db = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
    await db.connect();
    const t = Date.now();
    [gateway, coordinators[0]] = await Promise.all([startService('gateway', { env }), startService('coordinator', { env, label: 'coordinator 1' })]);
    timings.servicesStartMs = Date.now() - t;
  }, 60_000);

  afterAll(async () => {
    await stopAllServices('SIGTERM', 10_000);
    await db.end();
    expect(await installation.remove()).toEqual([]);
    timings.suiteMs = Date.now() - suiteStarted;
     
    console.log(`lease expiry restart timings: ${JSON.stringify(timings)}`);
  }, 40_000);

  it('returns a task to ready within a second of its deadline after its coordinator was SIGKILLed and replaced', async () => {
    const holder = await register('holder');
    const taskId = await createTask('leased across a restart');

    const lease = await claim(holder, taskId, 3);
    const [killed] = coordinators;
    killed.kill('SIGKILL');
    expect(await killed.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const killedAt = Date.now();

    const replacement = await startService('coordinator', { env, label: 'coordinator 2 (replacement)' });
    coordinators = [replacement];
    const replacedAt = Date.now();
    Object.assign(timings, { restart_killedBeforeDeadlineMs: lease.deadline - killedAt, restart_replacementStartMs: replacedAt - killedAt, restart_replacementReadyBeforeDeadlineMs: lease.deadline - replacedAt });
    if (replacedAt < lease.deadline) {
      // The usual case (a coordinator starts in about 1.2 s on an idle machine): the lease is still held.
      expect(await taskStatus(taskId)).toBe('claimed');
    } else {
       
      console.warn(`the replacement coordinator took ${replacedAt - killedAt} ms to start, ${replacedAt - lease.deadline} ms past the 3 s lease: the machine is loaded; expiry is measured from its start`);
    }

    const back = await readyAt(taskId, lease.deadline);
    timings.restart_readyAfterDeadlineMs = back - lease.deadline;
    // Within a second of the deadline; should the replacement have come up after it, within a
    // second of its start (nothing served the task in between, so nothing could expire it sooner).
    expect(back - Math.max(lease.deadline, replacedAt)).toBeLessThanOrEqual(EXPIRY_SLACK_MS);

    // More sweeps pass (every 200 ms): still one expiry, for this lease, appended after its deadline.
    await sleep(1000);
    const expired = await leaseExpiredEvents(taskId);
    expect(expired).toHaveLength(1);
    expect(Date.parse(expired[0].lease_expires_at)).toBe(lease.deadline);
    expect(Date.parse(expired[0].expired_at)).toBeGreaterThanOrEqual(lease.deadline);
    expect(await streamTypes(taskId)).toEqual(['TaskCreated', 'TaskClaimed', 'LeaseExpired']);
    expect(expiriesLoggedBy(replacement, taskId)).toBe(1);
    expect(expiriesLoggedBy(killed, taskId)).toBe(0);

    // The old holder comes back too late: refused, and nothing is appended.
    const late = await rest(gateway.url, 'POST', `/api/coord/tasks/${taskId}/heartbeat`, holder.apiKey, { employee_id: holder.employeeId, fencing_token: lease.fencingToken });
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('LEASE_NOT_HELD');
    const lateStatus = await rest(gateway.url, 'POST', `/api/coord/tasks/${taskId}/status`, holder.apiKey, { employee_id: holder.employeeId, status: 'in_progress' });
    expect(lateStatus.status).toBe(409);
    expect(await streamTypes(taskId)).toEqual(['TaskCreated', 'TaskClaimed', 'LeaseExpired']);
    expect(await taskStatus(taskId)).toBe('ready');
  }, 45_000);

  it('with two coordinators sweeping, appends exactly one LeaseExpired per lease, each within a second of its deadline', async () => {
    coordinators.push(await startService('coordinator', { env, label: 'coordinator 3' }));
    const holders = await Promise.all([0, 1, 2, 3, 4].map((i) => register(`holder ${i}`)));
    const taskIds = await Promise.all(holders.map((_, i) => createTask(`lease ${i}`)));
    const before = coordinators.map((c) => expiriesLoggedBy(c));

    // Claimed together, never heartbeated.
    const leases = await Promise.all(holders.map((holder, i) => claim(holder, taskIds[i], 2)));
    const backs = await Promise.all(taskIds.map((id, i) => readyAt(id, leases[i].deadline)));
    const lateness = backs.map((back, i) => back - leases[i].deadline);
    timings.twoInstances_readyAfterDeadlineMs = lateness;
    for (const ms of lateness) expect(ms).toBeLessThanOrEqual(EXPIRY_SLACK_MS);

    await sleep(1000);
    for (const [i, taskId] of taskIds.entries()) {
      const expired = await leaseExpiredEvents(taskId);
      expect({ taskId, count: expired.length }).toEqual({ taskId, count: 1 });
      expect(Date.parse(expired[0].lease_expires_at)).toBe(leases[i].deadline);
      expect(await streamTypes(taskId)).toEqual(['TaskCreated', 'TaskClaimed', 'LeaseExpired']);
    }
    // Each expiry was logged by at least one instance. The store is the record, not the logs: an
    // instance that decided on a stale stream and whose append the store took as a duplicate (same
    // command id, same event ids) is told it appended, and logs the expiry too (AggregateStore.handle
    // cannot tell the store's 'duplicate' outcome from 'ok'). Such a line shows both instances swept.
    const logged = coordinators.map((c, i) => expiriesLoggedBy(c) - before[i]);
    const perTask = taskIds.map((taskId) => coordinators.reduce((n, c) => n + expiriesLoggedBy(c, taskId), 0));
    Object.assign(timings, { twoInstances_expiriesLoggedPerInstance: logged, twoInstances_expiryLinesPerTask: perTask });
    for (const n of perTask) expect(n).toBeGreaterThanOrEqual(1);

    const late = await Promise.all(
      holders.map((holder, i) => rest(gateway.url, 'POST', `/api/coord/tasks/${taskIds[i]}/heartbeat`, holder.apiKey, { employee_id: holder.employeeId })),
    );
    expect(late.map((r) => [r.status, r.body.error?.code])).toEqual(holders.map(() => [409, 'LEASE_NOT_HELD']));
  }, 45_000);

  it('left no error in the services\' logs', () => {
    for (const service of [gateway, ...coordinators]) {
      const failures = service
        .output()
        .split('\n')
        .filter((line) => /"level":"(error|fatal)"/.test(line) || /Unhandled|failed; will retry/.test(line));
      expect({ service: service.name, failures }).toEqual({ service: service.name, failures: [] });
    }
  });
});
