import { randomUUID } from 'node:crypto';
import {
  AutocoderError,
  ErrorCodes,
  Subjects,
  type Actor,
  type ClaimResult,
  type CommandEnvelope,
  type RegisterAgentResult,
  type TaskHeartbeatResult,
  type TaskView,
} from '@autocoder/contracts';
import { NatsMessageBus } from '@autocoder/messaging';
import { TEST_DATABASE_URL, TEST_NATS_URL, describeWith } from '@autocoder/testing';
import { Client } from 'pg';
import { poll, startService, stopAllServices } from './src/processes';
import { isolatedInstallation } from './src/isolated-installation';

/**
 * An agent with two workers (the runner's case), over the real NATS: worker A claims a task, loses
 * the lease (it runs out, or A releases it), and worker B of the same agent claims the task again.
 * On the holder subjects, which internal callers use and where the fencing token is required,
 * nothing A sends under its old token acts on B's lease. The seed's subjects keep the seed's
 * payloads, where the token may be left out.
 */

const S = Subjects.coordinator;
const SPECIALIZATION = 'fenced';

async function refusal(request: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await request;
  } catch (error) {
    if (error instanceof AutocoderError) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected a refusal, but the request succeeded');
}

describeWith({ postgres: true, nats: true }, 'fencing tokens on the holder subjects: two workers of one agent (coordinator process, NATS, Postgres)', () => {
  const installation = isolatedInstallation('fence');
  const { prefix, env } = installation;
  let db: Client;
  let workerA: NatsMessageBus;
  let workerB: NatsMessageBus;
  let adminBus: NatsMessageBus;
  const admin: Actor = { kind: 'admin' };
  let agent: Actor & { kind: 'agent' };
  const envelope = (actor: Actor, payload: unknown): CommandEnvelope => ({ commandId: randomUUID(), correlationId: randomUUID(), actor, payload });
  /** A command of the agent, sent by one of its workers. */
  const send = <T>(worker: NatsMessageBus, subject: string, payload: unknown) => worker.request<T>(subject, envelope(agent, payload));
  const taskOf = (taskId: string) => workerB.request<TaskView>(S.getTask, { correlationId: randomUUID(), actor: agent, payload: { taskId } });
  const eventTypes = async (taskId: string) => {
    const { rows } = await db.query<{ type: string }>(`SELECT type FROM "${prefix}_eventstore".events WHERE stream_id = $1 ORDER BY revision`, [`task-${taskId}`]);
    return rows.map((r) => r.type);
  };
  const createTask = async () => {
    const payload = { projectId: randomUUID(), title: 'fenced', requiredSpecializationCode: SPECIALIZATION, createdBy: randomUUID() };
    return (await adminBus.request<TaskView>(S.createTask, envelope(admin, payload))).taskId;
  };

  beforeAll(async () => {
    db = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
    await db.connect();
    await startService('coordinator', { env });
    const natsPrefix = `${installation.natsPrefix}.`;
    const connect = (name: string) => NatsMessageBus.connect(TEST_NATS_URL, `${prefix}-${name}`, natsPrefix);
    [adminBus, workerA, workerB] = await Promise.all(['admin', 'worker-a', 'worker-b'].map(connect));
    const employeeId = randomUUID();
    const registration = { employeeId, name: 'two workers', specializationCodes: [SPECIALIZATION] };
    const { agentId } = await adminBus.request<RegisterAgentResult>(S.registerAgent, envelope(admin, registration));
    agent = { kind: 'agent', agentId, employeeId };
  }, 60_000);

  afterAll(async () => {
    await Promise.all([adminBus, workerA, workerB].map((b) => b?.close()));
    await stopAllServices('SIGTERM', 10_000);
    await db?.end();
    expect(await installation.remove()).toEqual([]);
  }, 40_000);

  it('refuses every holder command of a worker whose lease ran out once the other worker claimed the task', async () => {
    const taskId = await createTask();
    const { employeeId } = agent;
    const a = await send<ClaimResult>(workerA, S.claimTask, { taskId, employeeId, leaseTtlSec: 2 });
    expect(a.fencingToken).toBe(1);
    expect(await send(workerA, S.holderHeartbeat, { taskId, employeeId, fencingToken: 1 })).toMatchObject({ taskId, fencingToken: 1 });

    // A stops beating; the lease runs out and the task is ready again; B (the same agent) claims it.
    await poll('the task back to ready', async () => ((await taskOf(taskId)).status === 'ready' ? true : undefined), { timeoutMs: 15_000, intervalMs: 100 });
    const b = await send<ClaimResult>(workerB, S.claimTask, { taskId, employeeId, leaseTtlSec: 600 });
    expect(b.fencingToken).toBe(2);
    const before = await eventTypes(taskId);

    const stale = { taskId, employeeId, fencingToken: 1 };
    const refused = [
      await refusal(send(workerA, S.holderHeartbeat, stale)),
      await refusal(send(workerA, S.holderStatus, { ...stale, status: 'in_progress' })),
      await refusal(send(workerA, S.holderRelease, { ...stale, reason: 'A thinks it is done' })),
    ];
    const staleToken = { code: ErrorCodes.LeaseNotHeld, message: `fencing token 1 is stale: the current lease on task ${taskId} has token 2` };
    expect(refused).toEqual([staleToken, staleToken, staleToken]);
    expect(await eventTypes(taskId)).toEqual(before);

    // B, with its own token, is the holder.
    const moved = await send<TaskView>(workerB, S.holderStatus, { taskId, employeeId, fencingToken: 2, status: 'in_progress' });
    expect(moved).toMatchObject({ status: 'in_progress', fencingToken: 2, assigneeId: employeeId });
  }, 60_000);

  it('refuses the worker that released, once the other worker claimed the task again', async () => {
    const taskId = await createTask();
    const { employeeId } = agent;
    const a = await send<ClaimResult>(workerA, S.claimTask, { taskId, employeeId, leaseTtlSec: 600 });
    await send(workerA, S.holderRelease, { taskId, employeeId, fencingToken: a.fencingToken, reason: 'handing over' });
    const b = await send<ClaimResult>(workerB, S.claimTask, { taskId, employeeId, leaseTtlSec: 600 });
    expect([a.fencingToken, b.fencingToken]).toEqual([1, 2]);

    const lostLease = { code: ErrorCodes.LeaseNotHeld };
    expect(await refusal(send(workerA, S.holderStatus, { taskId, employeeId, fencingToken: 1, status: 'review' }))).toMatchObject(lostLease);
    expect(await refusal(send(workerA, S.holderHeartbeat, { taskId, employeeId, fencingToken: 1 }))).toMatchObject(lostLease);
    expect((await taskOf(taskId)).status).toBe('claimed');
  }, 60_000);

  it('needs the fencing token (and the employee id) on the holder subjects, and an agent as the actor', async () => {
    const taskId = await createTask();
    const { employeeId } = agent;
    await send<ClaimResult>(workerA, S.claimTask, { taskId, employeeId, leaseTtlSec: 600 });
    const before = await eventTypes(taskId);

    const missing = await refusal(send(workerA, S.holderHeartbeat, { taskId, employeeId }));
    expect(missing).toEqual({ code: ErrorCodes.ValidationFailed, message: 'invalid task heartbeat: fencingToken: must be the fencing token your claim answered with' });
    const invalid = (field: string) => ({ code: ErrorCodes.ValidationFailed, message: expect.stringContaining(field) });
    expect(await refusal(send(workerA, S.holderStatus, { taskId, fencingToken: 1, status: 'in_progress' }))).toMatchObject(invalid('employeeId'));
    expect(await refusal(send(workerA, S.holderRelease, { taskId, employeeId }))).toMatchObject(invalid('fencingToken'));
    const asAdmin = adminBus.request(S.holderRelease, envelope(admin, { taskId, employeeId, fencingToken: 1 }));
    expect(await refusal(asAdmin)).toMatchObject({ code: ErrorCodes.Forbidden });
    expect(await eventTypes(taskId)).toEqual(before);

    // The seed's subject keeps the seed's payload: no token, and the agent acts on the lease it holds.
    expect(await send<TaskHeartbeatResult>(workerA, S.heartbeatTask, { taskId, employeeId })).toMatchObject({ taskId, fencingToken: 1 });
  }, 60_000);
});
