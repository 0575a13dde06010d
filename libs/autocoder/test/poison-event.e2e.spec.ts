import { randomUUID } from 'node:crypto';
import { threadStreamName } from '@autocoder/contracts';
import { describeWith } from '@autocoder/testing';
import { ADMIN_TOKEN, eventually, gql, rest, seedRegistration, startTestSystem, type TestSystem } from './harness';

/**
 * An event the messages projection cannot apply (as an older, buggier version might have stored)
 * lands in a running coordinator: that projector stops at it and says so, and nothing else waits
 * for it: leases still expire on time, the other read models keep up.
 */
describeWith({ postgres: true }, 'a poison event in a running coordinator (real Postgres)', () => {
  let system: TestSystem;
  const projectId = randomUUID();
  const creator = randomUUID();

  beforeAll(async () => {
    system = await startTestSystem({}, { leaseSweepMs: 100 });
  });
  afterAll(async () => system?.close());

  /** What an operator sees: the gateway's `processors` query. */
  const processors = async () => {
    const res = await gql(system, ADMIN_TOKEN, '{ processors { service name kind state position failing { position stream type attempts error } } }');
    expect(res.errors).toBeUndefined();
    return res.data.processors as { service: string; name: string; kind: string; state: string; position: number | null; failing: any }[];
  };
  const statusOf = async (name: string) => (await processors()).find((s) => s.name === name)!;

  it('stops only the messages projector, at the poison event, while leases expire on time and the other projections keep up', async () => {
    const employeeId = randomUUID();
    const agent = (await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, creator))).body;
    const thread = randomUUID();
    const fine = await rest(system, 'POST', '/api/coord/messages', ADMIN_TOKEN, {
      thread_id: thread,
      project_id: projectId,
      sender_id: creator,
      message_type: 'note',
      payload: { text: 'before the poison' },
    });
    expect(fine.status).toBe(200);

    // A MessagePosted whose message id is no UUID: the messages table refuses it every time.
    const poisonStream = threadStreamName(randomUUID());
    const appended = await system.store.append(
      poisonStream,
      [
        {
          id: randomUUID(),
          type: 'MessagePosted',
          data: { messageId: 'not-a-uuid', threadId: 'x', projectId, taskId: null, senderId: creator, messageType: 'note', payload: {}, postedAt: new Date().toISOString() },
          metadata: { correlationId: randomUUID(), actor: 'test', time: new Date().toISOString() },
        },
      ],
      'no_stream',
    );

    // Meanwhile a task is claimed with a one-second lease.
    const task = await rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, {
      project_id: projectId,
      title: 'Lease runs out',
      description: 'claimed and never heartbeated',
      required_specialization_code: 'planning',
      created_by: creator,
      priority: 'P1',
    });
    const taskId = task.body.task_id as string;
    const claimed = await rest(system, 'POST', `/api/coord/tasks/${taskId}/claim`, agent.api_key, { employee_id: employeeId, lease_ttl_sec: 1 });
    expect(claimed.status).toBe(200);
    const deadline = Date.parse(claimed.body.lease_expires_at);
    const backToReady = await eventually(
      async () => ((await rest(system, 'GET', `/api/coord/tasks/${taskId}`, ADMIN_TOKEN)).body.task.status === 'ready' ? Date.now() : undefined),
      5000,
      'task back to ready',
    );
    expect(backToReady - deadline).toBeLessThan(1000);

    // The messages projector gave up on the poison event and names it.
    const stopped = await eventually(
      async () => {
        const status = await statusOf('coordinator.messages');
        return status.state === 'stopped' ? status : undefined;
      },
      20_000,
      'messages projector stopped',
    );
    expect(stopped).toMatchObject({ service: 'coordinator', kind: 'projection' });
    expect(stopped.failing).toMatchObject({ position: appended.position, stream: poisonStream, type: 'MessagePosted', attempts: 5 });
    expect(stopped.failing.error).toContain('uuid');
    expect(stopped.position).not.toBeNull();
    expect(stopped.position!).toBeLessThan(appended.position);

    // Every other projector runs and keeps up with what comes next.
    const others = (await processors()).filter((s) => s.kind === 'projection' && s.service === 'coordinator' && s.name !== 'coordinator.messages');
    expect(others.map((s) => [s.name, s.state])).toEqual(others.map((s) => [s.name, 'running']));
    expect(others).toHaveLength(4);
    const later = randomUUID();
    const registered = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(later, creator, { name: 'AFTER-POISON' }));
    await eventually(async () => ((await rest(system, 'GET', '/api/coord/agents', ADMIN_TOKEN)).body.agents as { agent_id: string }[]).find((a) => a.agent_id === registered.body.agent_id), 5000, 'agent listed');
    const plan = await rest(system, 'POST', '/api/coord/plans', ADMIN_TOKEN, { project_id: projectId, title: 'After the poison', body_markdown: 'still planned' });
    expect(plan.status).toBe(200);
    for (const projector of system.coordinator.projectors.filter((p) => p.name !== 'coordinator.messages')) {
      await eventually(async () => ((await projector.isCaughtUp()) ? true : undefined), 5000, `${projector.name} caught up`);
    }

    // A message posted now is stored (the store is the record) but waits for no stopped projector.
    const started = Date.now();
    const afterwards = await rest(system, 'POST', '/api/coord/messages', ADMIN_TOKEN, {
      thread_id: thread,
      project_id: projectId,
      sender_id: creator,
      message_type: 'note',
      payload: { text: 'after the poison' },
    });
    expect(afterwards.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await statusOf('coordinator.messages')).toMatchObject({ state: 'stopped', failing: { position: appended.position } });

    // A rebuild replays the others and says which one it could not rebuild, and where it stopped.
    const rebuilt = await gql(system, ADMIN_TOKEN, 'mutation { rebuildProjections { projections { name } } }');
    expect(rebuilt.errors?.[0]).toMatchObject({ extensions: { code: 'INTERNAL' } });
    expect(rebuilt.errors![0].message).toContain(`projection coordinator.messages stopped at position ${appended.position}`);
    expect(rebuilt.errors![0].message).toContain('rebuilt: coordinator.agents, coordinator.tasks, coordinator.plans, coordinator.decisions');
    expect((await statusOf('coordinator.plans')).state).toBe('running');
    expect((await rest(system, 'GET', `/api/coord/plans/${plan.body.plan_id}`, ADMIN_TOKEN)).status).toBe(200);
  }, 60_000);
});
