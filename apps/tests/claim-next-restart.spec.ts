import { randomUUID } from 'node:crypto';
import { AutocoderError, ErrorCodes, Subjects, type Actor, type ClaimResult, type CommandEnvelope, type RegisterAgentResult } from '@autocoder/contracts';
import { NatsMessageBus } from '@autocoder/messaging';
import { TEST_DATABASE_URL, TEST_NATS_URL, describeWith } from '@autocoder/testing';
import { Client } from 'pg';
import { poll, startService, stopAllServices, type ServiceProcess } from './src/processes';
import { isolatedInstallation } from './src/isolated-installation';

/**
 * A claim-next is one command, even across a crash: a coordinator killed (kill -9) after it stored
 * a request's claim, before that request got its answer, is replaced by a new process, and the
 * request sent again with the same command id answers with the task the first attempt claimed. It
 * claims no second task.
 *
 * The crash is placed between the claim and the answer by the database: a trigger makes any write
 * of a claim-next answer to the command log wait on a lock this suite holds, so a coordinator that
 * writes one is stuck there when it is killed (and that write is then cancelled with its session).
 */

const S = Subjects.coordinator;
const SPECIALIZATION = 'retry';
const HOLD_LOCK = 736_001;

describeWith({ postgres: true, nats: true }, 'claim-next retried across a coordinator kill -9 and restart (separate processes, Postgres and NATS)', () => {
  const installation = isolatedInstallation('cnretry');
  const { prefix, env } = installation;
  const coordinatorSchema = `${prefix}_coordinator`;
  let db: Client;
  let holder: Client;
  let bus: NatsMessageBus;
  let coordinator: ServiceProcess;
  const admin: Actor = { kind: 'admin' };
  const envelope = (actor: Actor, payload: unknown, commandId = randomUUID()): CommandEnvelope => ({ commandId, correlationId: randomUUID(), actor, payload });

  const claims = async (agentId: string) =>
    (
      await db.query<{ task_id: string; fencing_token: number }>(
        `SELECT data->>'taskId' AS task_id, (data->>'fencingToken')::int AS fencing_token FROM "${prefix}_eventstore".events
          WHERE type = 'TaskClaimed' AND data->>'agentId' = $1 ORDER BY position`,
        [agentId],
      )
    ).rows;

  beforeAll(async () => {
    db = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
    holder = new Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5000 });
    await Promise.all([db.connect(), holder.connect()]);
    coordinator = await startService('coordinator', { env, label: 'coordinator 1' });
    bus = await NatsMessageBus.connect(TEST_NATS_URL, `${prefix}-test`, `${installation.natsPrefix}.`);
  }, 60_000);

  afterAll(async () => {
    await bus?.close();
    await stopAllServices('SIGTERM', 10_000);
    await holder?.end();
    await db?.end();
    expect(await installation.remove()).toEqual([]);
  }, 40_000);

  it('answers the retry with the task the killed process claimed, and claims nothing else', async () => {
    const employeeId = randomUUID();
    const { agentId } = await bus.request<RegisterAgentResult>(S.registerAgent, envelope(admin, { employeeId, name: 'retrier', specializationCodes: [SPECIALIZATION] }));
    const agent: Actor = { kind: 'agent', agentId, employeeId };
    const projectId = randomUUID();
    for (const priority of ['P1', 'P2', 'P3']) {
      await bus.request(S.createTask, envelope(admin, { projectId, title: `${priority} task`, requiredSpecializationCode: SPECIALIZATION, createdBy: randomUUID(), priority }));
    }
    await poll('3 ready tasks in the read model', async () => {
      const { rows } = await db.query(`SELECT 1 FROM "${coordinatorSchema}".tasks WHERE project_id = $1 AND status = 'ready'`, [projectId]);
      return rows.length === 3 ? true : undefined;
    });

    await holder.query(`SELECT pg_advisory_lock($1)`, [HOLD_LOCK]);
    await db.query(`
      CREATE FUNCTION "${coordinatorSchema}".hold_claim_next_answers() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.reply IS NOT NULL AND NEW.subject LIKE '%claim-next' THEN
          PERFORM pg_advisory_lock(${HOLD_LOCK});
          PERFORM pg_advisory_unlock(${HOLD_LOCK});
        END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER hold_claim_next_answers BEFORE INSERT OR UPDATE ON "${coordinatorSchema}".processed_commands
        FOR EACH ROW EXECUTE FUNCTION "${coordinatorSchema}".hold_claim_next_answers();`);

    const request = envelope(agent, { employeeId, leaseTtlSec: 600, projectId });
    const first = bus.request<ClaimResult | null>(S.claimNextTask, request, 60_000).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const [claimed] = await poll('the first attempt\'s claim in the event store', async () => {
      const found = await claims(agentId);
      return found.length ? found : undefined;
    }, { timeoutMs: 20_000, intervalMs: 20 });
    coordinator.kill('SIGKILL');
    await coordinator.exited;
    // A write the killed process left waiting must not complete after its death.
    await db.query(`SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted`, [HOLD_LOCK]);
    await holder.query(`SELECT pg_advisory_unlock($1)`, [HOLD_LOCK]);
    await db.query(`DROP TRIGGER hold_claim_next_answers ON "${coordinatorSchema}".processed_commands; DROP FUNCTION "${coordinatorSchema}".hold_claim_next_answers()`);
    const firstOutcome = await first;

    coordinator = await startService('coordinator', { env, label: 'coordinator 2' });
    // The same command id again (a new correlation id, as a client's resend has); a run still
    // pending in the store is waited for, so UNAVAILABLE ("still being processed") means: send again.
    const retried = await poll(
      'an answer to the resent claim-next',
      async () => {
        try {
          return { value: await bus.request<ClaimResult | null>(S.claimNextTask, { ...request, correlationId: randomUUID() }, 30_000) };
        } catch (error) {
          if (error instanceof AutocoderError && error.code === ErrorCodes.Unavailable) return undefined;
          throw error;
        }
      },
      { timeoutMs: 90_000, intervalMs: 500 },
    );

    expect(retried.value?.task.taskId).toBe(claimed.task_id);
    expect(retried.value?.fencingToken).toBe(claimed.fencing_token);
    if ('value' in firstOutcome) expect(retried.value).toEqual(firstOutcome.value); // the answer made it out before the kill
    expect(await claims(agentId)).toEqual([claimed]);
    // And once more, for good measure: still the one answer.
    expect(await bus.request(S.claimNextTask, { ...request, correlationId: randomUUID() })).toEqual(retried.value);
  }, 180_000);
});
