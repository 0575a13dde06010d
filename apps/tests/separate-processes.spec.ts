import { randomUUID } from 'node:crypto';
import { Subjects } from '@autocoder/contracts';
import { TEST_NATS_URL, describeWith } from '@autocoder/testing';
import { connect } from 'nats';
import { isolatedInstallation } from './src/isolated-installation';
import { gql, poll, rest, startService, stopAllServices, subscribe, type ServiceProcess, type Subscription } from './src/processes';

/**
 * The services as separate processes on the real Postgres and NATS: two coordinators in one queue
 * group behind one gateway, with schema and subject prefixes of their own so that other suites
 * running services on the same servers cannot answer for them.
 */

const AGENT_FIELDS = 'agentId employeeId name specializationCodes status statusMetadata lastHeartbeatAt revision';

interface Registered {
  employeeId: string;
  agentId: string;
  apiKey: string;
}

describeWith({ postgres: true, nats: true }, 'separate processes: two coordinators and a gateway on Postgres and NATS', () => {
  const installation = isolatedInstallation('e2e');
  const { natsPrefix, adminToken, env } = installation;

  let coordinator1: ServiceProcess;
  let coordinator2: ServiceProcess;
  let gateway: ServiceProcess;
  let updates: Subscription<{ agentUpdated: { agentId: string; status: string; statusMetadata: Record<string, unknown> } }> | undefined;
  const agents: Registered[] = [];

  const register = async (name: string): Promise<Registered> => {
    const employeeId = randomUUID();
    const response = await rest(gateway.url, 'POST', '/api/coord/agents/register', adminToken, {
      employee_id: employeeId,
      name,
      endpoint_url: null,
      specialization_codes: ['e2e'],
      capabilities: {},
      owner_employee_id: null,
    });
    if (response.status !== 200) throw new Error(`registering ${name} answered ${response.status}: ${JSON.stringify(response.body)}`);
    expect(response.body).toEqual({ status: 'ok', agent_id: expect.any(String), api_key: expect.stringMatching(/^ak_/) });
    return { employeeId, agentId: response.body.agent_id, apiKey: response.body.api_key };
  };

  const listGraphQL = async () =>
    (await gql<{ agents: { agentId: string; name: string; status: string; specializationCodes: string[] }[] }>(gateway.url, adminToken, `{ agents { ${AGENT_FIELDS} } }`))
      .agents;

  const listedUntil = (count: number, timeoutMs = 20_000) =>
    poll(
      `${count} agents listed over GraphQL`,
      async () => {
        const listed = await listGraphQL();
        if (listed.length !== count) throw new Error(`${listed.length} agents listed`);
        return listed;
      },
      { timeoutMs },
    );

  /** How many registrations a coordinator logged (one JSON line each). */
  const registrationsLoggedBy = (service: ServiceProcess) => service.stdout().split('\n').filter((line) => line.includes('"msg":"agent registered"')).length;

  beforeAll(async () => {
    // Nothing may answer our prefixed subjects before our own coordinators start.
    const nc = await connect({ servers: TEST_NATS_URL, timeout: 3000, reconnect: false });
    try {
      const answered = await nc.request(`${natsPrefix}.${Subjects.coordinator.listAgents}`, new TextEncoder().encode('{}'), { timeout: 1000 }).then(
        () => true,
        (error: { code?: string }) => error.code !== '503',
      );
      if (answered) {
        throw new Error(`something already serves ${natsPrefix}.${Subjects.coordinator.listAgents} on ${TEST_NATS_URL}`);
      }
    } finally {
      await nc.close();
    }
  }, 15_000);

  afterAll(async () => {
    await updates?.close().catch(() => undefined);
    await stopAllServices('SIGTERM', 10_000);
    expect(await installation.remove()).toEqual([]);
  }, 40_000);

  it('starts two coordinators and a gateway as separate processes', async () => {
    [coordinator1, coordinator2, gateway] = await Promise.all([
      startService('coordinator', { env, label: 'coordinator 1' }),
      startService('coordinator', { env, label: 'coordinator 2' }),
      startService('gateway', { env }),
    ]);
    for (const coordinator of [coordinator1, coordinator2]) {
      expect(coordinator.stdout()).toContain(`Coordinator serving on ${TEST_NATS_URL} (queue group "coordinator")`);
    }
    expect(gateway.url).toBe(`http://127.0.0.1:${gateway.port}`);
    expect(gateway.stdout()).toContain(`Gateway listening on ${gateway.url}  (GraphQL ${gateway.url}/graphql, REST ${gateway.url}/api, health ${gateway.url}/health)`);
    // AUTOCODER_ADMIN_TOKEN is set: nothing generated, nothing printed.
    expect(gateway.stdout()).not.toContain('Admin token');
    expect(await rest(gateway.url, 'GET', '/health', null)).toMatchObject({ status: 200 });
  }, 90_000);

  it('registers 10 agents over REST, shared by the coordinators, and lists them over GraphQL', async () => {
    agents.push(...(await Promise.all(Array.from({ length: 10 }, (_, i) => register(`agent ${i}`)))));
    expect(new Set(agents.map((x) => x.agentId)).size).toBe(10);

    const listed = await listedUntil(10);
    expect(listed.map((x) => x.agentId).sort()).toEqual(agents.map((x) => x.agentId).sort());
    expect(listed.every((x) => x.status === 'REGISTERED' && x.specializationCodes[0] === 'e2e')).toBe(true);

    // Each registration was handled by exactly one of the two coordinators.
    await poll('10 registrations in the coordinators\' logs', async () => {
      const counts = [registrationsLoggedBy(coordinator1), registrationsLoggedBy(coordinator2)];
      if (counts[0] + counts[1] !== 10) throw new Error(`logged ${counts.join(' + ')}`);
      return counts;
    }, { timeoutMs: 5000 });
  }, 45_000);

  it('shows a REST heartbeat in a graphql-ws subscription', async () => {
    updates = await subscribe(gateway.url, adminToken, `subscription Busy($filter: AgentFilter) { agentUpdated(filter: $filter) { ${AGENT_FIELDS} } }`, {
      filter: { status: 'BUSY' },
    });
    const [agent] = agents;
    const response = await rest(gateway.url, 'POST', '/api/coord/agents/heartbeat', agent.apiKey, { employee_id: agent.employeeId, status: 'busy', metadata: { task: 7 } });
    expect(response).toEqual({ status: 200, body: { status: 'ok', next_heartbeat_sec: 60 } });

    const seen = await updates.waitFor((u) => u.agentUpdated.agentId === agent.agentId, 15_000, 'the heartbeat of agent 0');
    expect(seen.agentUpdated).toMatchObject({ status: 'BUSY', statusMetadata: { task: 7 } });
    expect(updates.received.every((u) => u.agentUpdated.status === 'BUSY')).toBe(true);

    const viaRest = await rest(gateway.url, 'GET', '/api/coord/agents?status=busy', adminToken);
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.agents.map((x: { agent_id: string }) => x.agent_id)).toEqual([agent.agentId]);
  }, 30_000);

  it('keeps serving through the surviving coordinator after the other is killed with SIGKILL', async () => {
    coordinator1.kill('SIGKILL');
    expect(await coordinator1.exited).toEqual({ code: null, signal: 'SIGKILL' });
    const before = registrationsLoggedBy(coordinator2);

    for (let i = 10; i < 13; i++) agents.push(await register(`agent ${i}`));
    const listed = await listedUntil(13);
    expect(listed.map((x) => x.agentId).sort()).toEqual(agents.map((x) => x.agentId).sort());
    await poll('the new registrations in the survivor\'s log', async () => {
      if (registrationsLoggedBy(coordinator2) !== before + 3) throw new Error(`coordinator 2 logged ${registrationsLoggedBy(coordinator2) - before}`);
      return true;
    }, { timeoutMs: 5000 });

    // Agent keys still authenticate, and the survivor's projector still notifies the gateway.
    const agent = agents[11];
    const response = await rest(gateway.url, 'POST', '/api/coord/agents/heartbeat', agent.apiKey, { employee_id: agent.employeeId, status: 'busy', metadata: {} });
    expect(response).toMatchObject({ status: 200, body: { status: 'ok' } });
    await updates!.waitFor((u) => u.agentUpdated.agentId === agent.agentId, 15_000, 'the heartbeat of agent 11');

    const viaRest = await rest(gateway.url, 'GET', '/api/coord/agents', adminToken);
    expect(viaRest.status).toBe(200);
    expect(viaRest.body.agents).toHaveLength(13);
  }, 45_000);

  it('stops the survivors cleanly on SIGTERM', async () => {
    await updates?.close();
    updates = undefined;
    gateway.kill('SIGTERM');
    coordinator2.kill('SIGTERM');
    expect(await gateway.exited).toEqual({ code: 0, signal: null });
    expect(await coordinator2.exited).toEqual({ code: 0, signal: null });
  }, 30_000);
});
