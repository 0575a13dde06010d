import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listeningTcpPorts } from '@autocoder/testing';
import { gql, poll, rest, startService, stopAllServices, subscribe, type ServiceProcess, type Subscription } from './src/processes';

/**
 * `npm start` as a user runs it: one process, embedded PGlite under AUTOCODER_HOME, the in-process
 * transport. Killed with SIGKILL right after a write, it must come back with nothing lost.
 */

interface RestAgent {
  agent_id: string;
  employee_id: string;
  name: string;
  status: string;
  status_metadata: Record<string, unknown>;
  last_heartbeat_at: string | null;
  revision: number;
  [key: string]: unknown;
}

const AGENT_FIELDS = 'agentId employeeId name endpointUrl specializationCodes capabilities ownerEmployeeId status statusMetadata lastHeartbeatAt registeredAt updatedAt revision';
const AGENT_UPDATED = `subscription { agentUpdated { ${AGENT_FIELDS} } }`;
const REGISTER = `mutation Register($input: RegisterAgentInput!) { registerAgent(input: $input) { agentId apiKey agent { ${AGENT_FIELDS} } } }`;
const REBUILD = 'mutation { rebuildProjections { projections { name eventsReplayed rows } } }';

describe('all-in-one process (embedded PGlite, in-process transport): restart after SIGKILL', () => {
  const home = mkdtempSync(join(tmpdir(), 'autocoder-e2e-'));
  // Nothing inherited may point the process at real servers: this suite is about the embedded defaults.
  const env = {
    AUTOCODER_HOME: home,
    DATABASE_URL: undefined,
    NATS_URL: undefined,
    EVENTSTORE_URL: undefined,
    AUTOCODER_ADMIN_TOKEN: undefined,
    AUTOCODER_SCHEMA_PREFIX: undefined,
    AUTOCODER_HEARTBEAT_INTERVAL_SEC: undefined,
    AUTOCODER_AGENT_OFFLINE_AFTER_SEC: undefined,
    LOG_LEVEL: 'info',
  };

  let first: ServiceProcess;
  let second: ServiceProcess;
  let adminToken: string;
  let updates: Subscription<{ agentUpdated: { agentId: string; status: string; name: string } }> | undefined;
  const a = { employeeId: randomUUID(), agentId: '', apiKey: '' };
  const b = { employeeId: randomUUID(), agentId: '', apiKey: '' };
  const c = { employeeId: randomUUID(), agentId: '', apiKey: '' };
  const d = { employeeId: randomUUID(), agentId: '' };

  const list = async (url: string): Promise<RestAgent[]> => {
    const response = await rest<{ status: string; agents: RestAgent[] }>(url, 'GET', '/api/coord/agents', adminToken);
    if (response.status !== 200) throw new Error(`GET /api/coord/agents answered ${response.status}: ${JSON.stringify(response.body)}`);
    return [...response.body.agents].sort((x, y) => x.agent_id.localeCompare(y.agent_id));
  };

  /** Polls the list until `check` passes (it throws with what it saw until then). */
  const listUntil = (url: string, what: string, check: (agents: RestAgent[]) => void, timeoutMs = 20_000) =>
    poll(
      what,
      async () => {
        const agents = await list(url);
        check(agents);
        return agents;
      },
      { timeoutMs },
    );

  const byId = (agents: RestAgent[], agentId: string) => agents.find((x) => x.agent_id === agentId);
  const expectAgent = (agents: RestAgent[], agentId: string, status: string, metadata?: Record<string, unknown>) => {
    const agent = byId(agents, agentId);
    if (!agent || agent.status !== status || (metadata && JSON.stringify(agent.status_metadata) !== JSON.stringify(metadata))) {
      throw new Error(`expected ${agentId} ${status} ${JSON.stringify(metadata ?? {})}, list has ${JSON.stringify(agent ?? null)}`);
    }
  };

  const heartbeat = async (url: string, apiKey: string, employeeId: string, status: string, metadata: Record<string, unknown>) => {
    const response = await rest(url, 'POST', '/api/coord/agents/heartbeat', apiKey, { employee_id: employeeId, status, metadata });
    expect(response).toEqual({ status: 200, body: { status: 'ok', next_heartbeat_sec: 60 } });
  };

  const registerRest = async (url: string, agent: { employeeId: string; agentId: string; apiKey: string }, name: string) => {
    const response = await rest(url, 'POST', '/api/coord/agents/register', adminToken, {
      employee_id: agent.employeeId,
      name,
      endpoint_url: 'http://127.0.0.1:9/agent',
      specialization_codes: ['backend'],
      capabilities: { tools: ['git'] },
      owner_employee_id: null,
    });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ status: 'ok', agent_id: expect.any(String), api_key: expect.stringMatching(/^ak_/) });
    agent.agentId = response.body.agent_id;
    agent.apiKey = response.body.api_key;
  };

  afterAll(async () => {
    await updates?.close().catch(() => undefined);
    await stopAllServices('SIGTERM', 10_000);
    rmSync(home, { recursive: true, force: true });
  }, 30_000);

  it('starts on the embedded defaults, prints where it listens and the admin token it generated', async () => {
    first = await startService('autocoder', { env, label: 'autocoder (first run)' });
    const out = first.stdout();
    expect(first.url).toBe(`http://127.0.0.1:${first.port}`);
    expect(out).toContain(
      `Autocoder listening on ${first.url}  (GraphQL ${first.url}/graphql, REST ${first.url}/api, health ${first.url}/health)`,
    );
    // Printed right after the ready line, possibly in a later chunk.
    await first.waitForOutput(/^Data: .*$/m, 5000);
    expect(first.stdout()).toContain(`Data: ${home}  store: embedded Postgres (PGlite)  transport: in-process`);

    const printed = /Admin token \(generated once, kept in (.+)\):\n\s+(adm_\S+)/.exec(out);
    expect(printed).not.toBeNull();
    adminToken = printed![2];
    expect(printed![1]).toBe(join(home, 'admin-token'));
    expect(readFileSync(join(home, 'admin-token'), 'utf8').trim()).toBe(adminToken);

    expect(await rest(first.url, 'GET', '/health', null)).toMatchObject({ status: 200 });
    expect(await rest(first.url, 'GET', '/api/coord/agents', null)).toMatchObject({ status: 401, body: { status: 'error', error: { code: 'UNAUTHENTICATED' } } });
    expect(await rest(first.url, 'GET', '/api/coord/agents', 'adm_wrong')).toMatchObject({ status: 401 });
    // The embedded database is served on a Unix socket in AUTOCODER_HOME: the HTTP port is the only door.
    expect(listeningTcpPorts(first.pid)).toEqual([first.port]);
  }, 90_000);

  it('registers A over REST and B over GraphQL; an open agentUpdated subscription receives both', async () => {
    updates = await subscribe(first.url, adminToken, AGENT_UPDATED);

    await registerRest(first.url, a, 'agent A');
    const registered = await gql<{ registerAgent: { agentId: string; apiKey: string; agent: { name: string; status: string; employeeId: string } } }>(
      first.url,
      adminToken,
      REGISTER,
      { input: { employeeId: b.employeeId, name: 'agent B', specializationCodes: ['frontend'], capabilities: { model: 'x' } } },
    );
    expect(registered.registerAgent).toMatchObject({ apiKey: expect.stringMatching(/^ak_/), agent: { name: 'agent B', status: 'REGISTERED', employeeId: b.employeeId } });
    b.agentId = registered.registerAgent.agentId;
    b.apiKey = registered.registerAgent.apiKey;

    const seenA = await updates.waitFor((u) => u.agentUpdated.agentId === a.agentId, 15_000, 'agent A');
    const seenB = await updates.waitFor((u) => u.agentUpdated.agentId === b.agentId, 15_000, 'agent B');
    expect(seenA.agentUpdated).toMatchObject({ name: 'agent A', status: 'REGISTERED' });
    expect(seenB.agentUpdated).toMatchObject({ name: 'agent B', status: 'REGISTERED' });
  }, 30_000);

  it('takes a heartbeat from A with its API key, and only for A', async () => {
    await heartbeat(first.url, a.apiKey, a.employeeId, 'idle', { step: 1 });
    const forOther = await rest(first.url, 'POST', '/api/coord/agents/heartbeat', a.apiKey, { employee_id: b.employeeId, status: 'busy' });
    expect(forOther).toMatchObject({ status: 403, body: { status: 'error', error: { code: 'FORBIDDEN' } } });

    const agents = await listUntil(first.url, 'A idle in the list', (list) => expectAgent(list, a.agentId, 'idle', { step: 1 }));
    expect(agents.map((x) => x.agent_id).sort()).toEqual([a.agentId, b.agentId].sort());
    await updates!.waitFor((u) => u.agentUpdated.agentId === a.agentId && u.agentUpdated.status === 'IDLE', 15_000, 'A idle');
  }, 30_000);

  it('is killed with SIGKILL right after further writes', async () => {
    await registerRest(first.url, c, 'agent C');
    await heartbeat(first.url, b.apiKey, b.employeeId, 'paused', { step: 2 });
    await heartbeat(first.url, a.apiKey, a.employeeId, 'busy', { step: 3 });
    // No waiting for the read model: the events are committed, the projection may lag behind.
    first.kill('SIGKILL');
    expect(await first.exited).toEqual({ code: null, signal: 'SIGKILL' });
    await updates?.close();
    updates = undefined;
  }, 30_000);

  it('restarts on the same AUTOCODER_HOME with the same admin token and nothing lost', async () => {
    second = await startService('autocoder', { env, label: 'autocoder (after SIGKILL)' });
    expect(second.stdout()).toContain(`Autocoder listening on ${second.url}`);
    expect(second.stdout()).not.toContain('Admin token (generated once');
    expect(readFileSync(join(home, 'admin-token'), 'utf8').trim()).toBe(adminToken);

    const agents = await listUntil(second.url, 'A busy, B paused and C registered after the restart', (list) => {
      expectAgent(list, a.agentId, 'busy', { step: 3 });
      expectAgent(list, b.agentId, 'paused', { step: 2 });
      expectAgent(list, c.agentId, 'registered');
    });
    expect(agents.map((x) => x.agent_id).sort()).toEqual([a.agentId, b.agentId, c.agentId].sort());
    expect(byId(agents, c.agentId)).toMatchObject({ name: 'agent C', specialization_codes: ['backend'], capabilities: { tools: ['git'] } });
    expect(byId(agents, a.agentId)!.last_heartbeat_at).not.toBeNull();
  }, 90_000);

  it('takes new writes after the restart, with the keys issued before it', async () => {
    await heartbeat(second.url, c.apiKey, c.employeeId, 'active', { step: 4 });
    const registered = await gql<{ registerAgent: { agentId: string } }>(second.url, adminToken, REGISTER, {
      input: { employeeId: d.employeeId, name: 'agent D' },
    });
    d.agentId = registered.registerAgent.agentId;
    await heartbeat(second.url, a.apiKey, a.employeeId, 'active', { step: 5 });

    const agents = await listUntil(second.url, 'the writes after the restart', (list) => {
      expectAgent(list, c.agentId, 'active', { step: 4 });
      expectAgent(list, d.agentId, 'registered');
      expectAgent(list, a.agentId, 'active', { step: 5 });
    });
    expect(agents).toHaveLength(4);
  }, 30_000);

  it('rebuildProjections replays every event into the same read model', async () => {
    const before = await list(second.url);
    expect(before).toHaveLength(4);
    const result = await gql<{ rebuildProjections: { projections: { name: string; eventsReplayed: number; rows: number }[] } }>(
      second.url,
      adminToken,
      REBUILD,
    );
    const agentsProjection = result.rebuildProjections.projections.find((p) => p.name === 'coordinator.agents');
    // 4 registrations and 5 heartbeats at least.
    expect(agentsProjection).toMatchObject({ rows: 4, eventsReplayed: expect.any(Number) });
    expect(agentsProjection!.eventsReplayed).toBeGreaterThanOrEqual(9);
    const after = await list(second.url);
    expect(after).toEqual(before);

    const viaGraphQL = await gql<{ agents: { agentId: string; status: string }[] }>(second.url, adminToken, '{ agents { agentId status } }');
    expect(viaGraphQL.agents.map((x) => x.agentId).sort()).toEqual(after.map((x) => x.agent_id));
  }, 60_000);

  it('stops cleanly on SIGTERM', async () => {
    second.kill('SIGTERM');
    expect(await second.exited).toEqual({ code: 0, signal: null });
  }, 30_000);
});
