import { randomUUID } from 'node:crypto';
import { describeWith } from '@autocoder/testing';
import { ADMIN_TOKEN, eventually, gql, rest, seedRegistration, sql, startTestSystem, type TestSystem } from './harness';

/**
 * Two coordinator instances on one database, as two replicas would run: both sweep for silent
 * agents and both project, and still each silence yields one event and each event one row change.
 */
describeWith({ postgres: true }, 'agent liveness with two coordinator instances', () => {
  let a: TestSystem;
  let b: TestSystem;
  const offlineEvents = (agentId: string) =>
    sql<{ type: string }>(`SELECT type FROM ${a.config.schemaPrefix}eventstore.events WHERE stream_id = $1 AND type = 'AgentMarkedOffline'`, [
      `agent-${agentId}`,
    ]);

  beforeAll(async () => {
    a = await startTestSystem({ agentOfflineAfterSec: 1 }, { offlineSweepMs: 50 });
    b = await startTestSystem({ agentOfflineAfterSec: 1, schemaPrefix: a.config.schemaPrefix }, { offlineSweepMs: 50 });
  });
  afterAll(async () => {
    await b?.close(false);
    await a?.close();
  });

  const statusIn = async (system: TestSystem, agentId: string) => {
    const res = await rest(system, 'GET', '/api/coord/agents', ADMIN_TOKEN);
    return (res.body.agents as any[]).find((x) => x.agent_id === agentId)?.status as string | undefined;
  };

  it('marks a silent agent offline with exactly one event, and a heartbeat brings it back', async () => {
    const employeeId = randomUUID();
    const { body } = await rest(a, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, randomUUID()));
    const agentId = body.agent_id as string;
    await rest(b, 'POST', '/api/coord/agents/heartbeat', body.api_key, { employee_id: employeeId, status: 'busy' });

    await eventually(async () => ((await statusIn(b, agentId)) === 'offline' ? true : undefined), 10_000, 'agent offline');
    expect(await statusIn(a, agentId)).toBe('offline');
    await new Promise((r) => setTimeout(r, 500)); // several more sweeps by both instances
    expect(await offlineEvents(agentId)).toHaveLength(1);

    await rest(a, 'POST', '/api/coord/agents/heartbeat', body.api_key, { employee_id: employeeId, status: 'idle' });
    await eventually(async () => ((await statusIn(b, agentId)) === 'idle' ? true : undefined), 5_000, 'agent back');
    await eventually(async () => ((await offlineEvents(agentId)).length === 2 ? true : undefined), 10_000, 'second offline event');
    await new Promise((r) => setTimeout(r, 300));
    expect(await offlineEvents(agentId)).toHaveLength(2);
  });

  it('keeps one read model for both projectors, equal to a rebuild from zero', async () => {
    for (let i = 0; i < 10; i++) {
      const target = i % 2 ? a : b;
      const employeeId = randomUUID();
      const { body } = await rest(target, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, randomUUID()));
      await rest(i % 2 ? b : a, 'POST', '/api/coord/agents/heartbeat', body.api_key, { employee_id: employeeId, status: 'active', metadata: { i } });
    }
    const rows = () => sql(`SELECT agent_id, name, status, status_metadata, revision FROM ${a.config.schemaPrefix}coordinator.agents ORDER BY agent_id`);
    // Sweeps may still mark agents offline; compare once nothing moves any more.
    await new Promise((r) => setTimeout(r, 2500));
    const before = await rows();
    const revisions = await sql<{ stream_id: string; rev: number }>(
      `SELECT stream_id, max(revision)::int AS rev FROM ${a.config.schemaPrefix}eventstore.events GROUP BY stream_id`,
    );
    for (const row of before) expect(row.revision).toBe(revisions.find((r) => r.stream_id === `agent-${row.agent_id}`)!.rev);
    await a.coordinator.rebuildProjections();
    expect(await rows()).toEqual(before);
  });

  it('survives a rebuild on one instance while the other keeps projecting new events', async () => {
    const agents: { employeeId: string; key: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const employeeId = randomUUID();
      const { body } = await rest(a, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, randomUUID()));
      agents.push({ employeeId, key: body.api_key });
    }
    const rows = () => sql(`SELECT agent_id, status, status_metadata, revision FROM ${a.config.schemaPrefix}coordinator.agents ORDER BY agent_id`);
    const total = async () => Number((await sql<{ n: string }>(`SELECT count(DISTINCT stream_id) AS n FROM ${a.config.schemaPrefix}eventstore.events`))[0].n);

    let beating = true;
    const beats = (async () => {
      for (let i = 0; beating; i++) {
        const agent = agents[i % agents.length];
        await rest(b, 'POST', '/api/coord/agents/heartbeat', agent.key, { employee_id: agent.employeeId, metadata: { i } });
      }
    })();
    await a.coordinator.rebuildProjections();
    beating = false;
    await beats;

    // Once both have caught up, the rows are every agent's latest state, as a quiet rebuild gives.
    await new Promise((r) => setTimeout(r, 2500));
    const settled = await rows();
    expect(settled).toHaveLength(await total());
    await a.coordinator.rebuildProjections();
    expect(await rows()).toEqual(settled);
  });

  it('takes a rebuild as a command: a retry with its id, on either instance, gets the first answer and rebuilds nothing again', async () => {
    const rebuilds = [...a.coordinator.projectors, ...b.coordinator.projectors].map((p) => jest.spyOn(p, 'rebuild'));
    const commandId = randomUUID();
    const mutation = `mutation { rebuildProjections(commandId: "${commandId}") { projections { name eventsReplayed rows } } }`;
    const first = await gql(a, ADMIN_TOKEN, mutation);
    expect(first.errors).toBeUndefined();
    // Every service's projections, in start order (the coordinator's, then the runner's).
    expect(first.data.rebuildProjections.projections.map((p: { name: string }) => p.name)).toEqual([...a.services.values()].flatMap((s) => s.processors.projectors.map((p) => p.name)));
    const retried = await gql(b, ADMIN_TOKEN, mutation);
    expect(retried.data).toEqual(first.data);
    expect(rebuilds.map((spy) => spy.mock.calls.length)).toEqual([...a.coordinator.projectors.map(() => 1), ...b.coordinator.projectors.map(() => 0)]);
    rebuilds.forEach((spy) => spy.mockRestore());
  });
});
