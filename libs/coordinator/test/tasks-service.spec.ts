import { randomUUID } from 'node:crypto';
import { AutocoderError, ErrorCodes, Subjects, type Actor, type ClaimResult, type CommandEnvelope, type TaskView } from '@autocoder/contracts';
import { PostgresEventStore, WrongExpectedRevisionError, type AppendResult, type EventStore, type ExpectedRevision, type NewEvent } from '@autocoder/eventstore';
import { InProcessBroker, commandFingerprint } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Pool } from 'pg';
import { CoordinatorRuntime } from '../src';

const S = Subjects.coordinator;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The real Postgres store, except that while `conflicting` every append loses to a writer that is always first. */
class ConflictingStore implements EventStore {
  conflicting = false;
  constructor(private readonly inner: EventStore) {}
  append(stream: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.conflicting) return Promise.reject(new WrongExpectedRevisionError(stream, expected, typeof expected === 'number' ? expected + 1 : 0));
    return this.inner.append(stream, events, expected);
  }
  readStream: EventStore['readStream'] = (stream, options) => this.inner.readStream(stream, options);
  readAll: EventStore['readAll'] = (options) => this.inner.readAll(options);
  subscribeToAll: EventStore['subscribeToAll'] = (options, handler) => this.inner.subscribeToAll(options, handler);
  headPosition: EventStore['headPosition'] = (filter) => this.inner.headPosition(filter);
  close = () => this.inner.close();
}

async function rejectionOf(promise: Promise<unknown>): Promise<AutocoderError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof AutocoderError) return error;
    throw error;
  }
  throw new Error('expected a rejection, but it resolved');
}

describeWith({ postgres: true }, 'task commands and their command ids (in-process coordinator, real Postgres)', () => {
  const prefix = uniqueSchema('taskcmd');
  const coordinatorSchema = `${prefix}_coordinator`;
  let pool: Pool;
  let store: ConflictingStore;
  let runtime: CoordinatorRuntime;
  const admin: Actor = { kind: 'admin' };

  const envelope = (actor: Actor, payload: unknown, commandId = randomUUID()): CommandEnvelope => ({ commandId, correlationId: randomUUID(), actor, payload });
  const claimEvents = async (taskIds: string[]) =>
    (
      await pool.query<{ task_id: string; command_id: string }>(
        `SELECT data->>'taskId' AS task_id, metadata->>'commandId' AS command_id FROM ${prefix}_eventstore.events
          WHERE type = 'TaskClaimed' AND data->>'taskId' = ANY($1) ORDER BY position`,
        [taskIds],
      )
    ).rows;
  const eventsOf = async (taskId: string) =>
    (await pool.query<{ type: string; command_id: string }>(`SELECT type, metadata->>'commandId' AS command_id FROM ${prefix}_eventstore.events WHERE stream_id = $1 ORDER BY revision`, [`task-${taskId}`])).rows;

  /** A registered agent with a specialization of its own, so its claim-next sees only this test's tasks. */
  async function agent() {
    const employeeId = randomUUID();
    const spec = `spec-${randomUUID().slice(0, 8)}`;
    const { agentId } = await runtime.agents.register(S.registerAgent, envelope(admin, { employeeId, name: 'worker', specializationCodes: [spec] }));
    return { actor: { kind: 'agent', agentId, employeeId } as Actor, employeeId, spec };
  }

  /** Ready tasks of the agent's specialization, in the read model by the time this resolves. */
  async function tasks(spec: string, priorities: string[]): Promise<string[]> {
    const projectId = randomUUID();
    const ids: string[] = [];
    for (const [i, priority] of priorities.entries()) {
      const task = await runtime.tasks.create(S.createTask, envelope(admin, { projectId, title: `task ${i}`, requiredSpecializationCode: spec, createdBy: randomUUID(), priority }));
      ids.push(task.taskId);
    }
    for (const deadline = Date.now() + 10_000; ; await sleep(20)) {
      const listed = (await runtime.tasks.list({ correlationId: randomUUID(), actor: admin, payload: { projectId, status: 'ready' } })).parse();
      if (listed.length === ids.length) return ids;
      if (Date.now() > deadline) throw new Error(`read model lists ${listed.length} of ${ids.length} tasks`);
    }
  }

  async function untilReadModelShows(taskId: string, status: TaskView['status']) {
    for (const deadline = Date.now() + 10_000; ; await sleep(20)) {
      const [row] = (await runtime.tasks.list({ correlationId: randomUUID(), actor: admin, payload: { status } })).parse().filter((t) => t.taskId === taskId);
      if (row) return;
      if (Date.now() > deadline) throw new Error(`read model does not show task ${taskId} ${status}`);
    }
  }

  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 8 });
    store = new ConflictingStore(await PostgresEventStore.open({ pool, schema: `${prefix}_eventstore` }));
    runtime = await CoordinatorRuntime.start({
      store,
      bus: new InProcessBroker(),
      databaseUrl: TEST_DATABASE_URL,
      logger: createLogger('test', 'warn'),
      schema: coordinatorSchema,
      heartbeatIntervalSec: 60,
      agentOfflineAfterSec: 3600,
      leaseSweepMs: 60_000,
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await store?.close();
    if (!pool) return;
    await pool.query(`DROP SCHEMA IF EXISTS ${prefix}_eventstore CASCADE; DROP SCHEMA IF EXISTS ${coordinatorSchema} CASCADE`);
    await pool.end();
  });

  it('a conflict that outlasts the retries is not the answer: the same command id, sent again, is applied once', async () => {
    const worker = await agent();
    const [taskId, other] = await tasks(worker.spec, ['P1', 'P2']);
    const claimed = await runtime.tasks.claim(S.claimTask, envelope(worker.actor, { taskId, employeeId: worker.employeeId, leaseTtlSec: 600 }));

    store.conflicting = true;
    const beat = envelope(worker.actor, { taskId, employeeId: worker.employeeId, fencingToken: claimed.fencingToken });
    const next = envelope(worker.actor, { employeeId: worker.employeeId, leaseTtlSec: 600 });
    expect((await rejectionOf(runtime.tasks.heartbeat(S.heartbeatTask, beat))).code).toBe(ErrorCodes.WrongExpectedRevision);
    expect((await rejectionOf(runtime.tasks.claimNext(S.claimNextTask, next))).code).toBe(ErrorCodes.WrongExpectedRevision);
    store.conflicting = false;

    const extended = await runtime.tasks.heartbeat(S.heartbeatTask, beat);
    expect(extended).toMatchObject({ taskId, fencingToken: claimed.fencingToken });
    expect(await runtime.tasks.heartbeat(S.heartbeatTask, beat)).toEqual(extended);
    expect((await eventsOf(taskId)).filter((e) => e.command_id === beat.commandId).map((e) => e.type)).toEqual(['LeaseExtended']);

    const nextTask = await runtime.tasks.claimNext(S.claimNextTask, next);
    expect(nextTask?.task.taskId).toBe(other);
    expect(await claimEvents([other])).toEqual([{ task_id: other, command_id: next.commandId }]);
  });

  it('claim-next sent again after its answer was lost and its run is gone answers with the task it claimed, not a second one', async () => {
    const worker = await agent();
    const ids = await tasks(worker.spec, ['P1', 'P2', 'P3']);
    const request = envelope(worker.actor, { employeeId: worker.employeeId, leaseTtlSec: 600 });

    const first = await runtime.tasks.claimNext(S.claimNextTask, request);
    expect(first?.task.taskId).toBe(ids[0]);
    // As a process that died after its claim was stored leaves it: no answer, last sign of life long ago.
    await pool.query(
      `UPDATE ${coordinatorSchema}.processed_commands SET reply = NULL, answered_at = NULL, started_at = now() - interval '1 hour' WHERE command_id = $1`,
      [request.commandId],
    );
    await untilReadModelShows(ids[0], 'claimed'); // so the best candidate now is the second task

    const retried = await runtime.tasks.claimNext(S.claimNextTask, { ...request, correlationId: randomUUID() });
    expect(retried).toEqual(first);
    expect(await claimEvents(ids)).toEqual([{ task_id: ids[0], command_id: request.commandId }]);
  });

  it('a run that takes claim-next over tries first the task the stopped run was claiming, under the same command id', async () => {
    const worker = await agent();
    const [best, recorded] = await tasks(worker.spec, ['P0', 'P3']);
    const payload = { employeeId: worker.employeeId, leaseTtlSec: 600 };
    const request = envelope(worker.actor, payload);
    // A run that reserved the request, recorded the task it was about to claim, and stopped.
    await pool.query(
      `INSERT INTO ${coordinatorSchema}.processed_commands (command_id, subject, fingerprint, owner, progress, started_at)
       VALUES ($1, $2, $3, $4, $5, now() - interval '1 hour')`,
      [request.commandId, S.claimNextTask, commandFingerprint(S.claimNextTask, payload, worker.actor), randomUUID(), JSON.stringify({ taskId: recorded })],
    );

    const claimed = (await runtime.tasks.claimNext(S.claimNextTask, request)) as ClaimResult;
    expect(claimed.task.taskId).toBe(recorded);
    expect(await claimEvents([best, recorded])).toEqual([{ task_id: recorded, command_id: request.commandId }]);
    const { rows } = await pool.query(`SELECT fencing_token FROM ${coordinatorSchema}.processed_commands WHERE command_id = $1`, [request.commandId]);
    expect(Number(rows[0].fencing_token)).toBe(2);
  });

  it('twenty agents asking claim-next at once on one instance get the twenty best tasks, one each', async () => {
    const spec = `spec-${randomUUID().slice(0, 8)}`;
    const workers = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const employeeId = randomUUID();
        const registration = { employeeId, name: `worker ${i}`, specializationCodes: [spec] };
        const { agentId } = await runtime.agents.register(S.registerAgent, envelope(admin, registration));
        return { actor: { kind: 'agent', agentId, employeeId } as Actor, employeeId };
      }),
    );
    const priorities = Array.from({ length: 30 }, (_, i) => ['P3', 'P1', 'P2', 'P0'][i % 4]);
    const ids = await tasks(spec, priorities);
    const best = ids.map((id, i) => ({ id, rank: Number(priorities[i].slice(1)) * 100 + i })).sort((a, b) => a.rank - b.rank).slice(0, 20);

    const answers = await Promise.all(workers.map((w) => runtime.tasks.claimNext(S.claimNextTask, envelope(w.actor, { employeeId: w.employeeId, leaseTtlSec: 600 }))));
    const claimed = answers.map((a) => a?.task.taskId);
    expect(new Set(claimed).size).toBe(20);
    expect([...claimed].sort()).toEqual(best.map((b) => b.id).sort());
    expect((await claimEvents(ids)).length).toBe(20);
  });

  it('the same claim-next sent five times at once claims one task and gives all five the same answer', async () => {
    const worker = await agent();
    const ids = await tasks(worker.spec, ['P2', 'P2', 'P2']);
    const request = envelope(worker.actor, { employeeId: worker.employeeId, leaseTtlSec: 600 });
    const answers = await Promise.all(Array.from({ length: 5 }, () => runtime.tasks.claimNext(S.claimNextTask, { ...request, correlationId: randomUUID() })));
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(await claimEvents(ids)).toEqual([{ task_id: answers[0]!.task.taskId, command_id: request.commandId }]);
  });
});
