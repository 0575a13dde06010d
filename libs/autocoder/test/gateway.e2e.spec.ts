import { randomUUID } from 'node:crypto';
import { describeWith } from '@autocoder/testing';
import { ADMIN_TOKEN, eventually, gql, rest, seedRegistration, sql, startTestSystem, subscribe, type TestSystem } from './harness';

const AGENT_FIELDS = 'agentId employeeId name endpointUrl specializationCodes capabilities ownerEmployeeId status statusMetadata lastHeartbeatAt revision';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describeWith({ postgres: true }, 'gateway and coordinator end to end (in one process, real Postgres)', () => {
  let system: TestSystem;
  const owner = randomUUID();
  const eventCount = async () => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${system.config.schemaPrefix}eventstore.events`))[0].n);

  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => system?.close());

  describe('seed 004 REST payloads', () => {
    it('registers an agent with the seed request and answers with the seed response plus its API key', async () => {
      const employeeId = randomUUID();
      const res = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, owner));
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['agent_id', 'api_key', 'status']);
      expect(res.body.status).toBe('ok');
      expect(res.body.agent_id).toMatch(UUID);
      expect(res.body.api_key).toMatch(/^ak_/);
    });

    it('takes the seed heartbeat from the agent itself and answers exactly as the seed says', async () => {
      const employeeId = randomUUID();
      const { body } = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, owner));
      const res = await rest(system, 'POST', '/api/coord/agents/heartbeat', body.api_key, { employee_id: employeeId, status: 'active', metadata: { load: 0.2 } });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok', next_heartbeat_sec: 60 });
    });

    it('lists agents with the seed filters status, specialization and owner_employee_id', async () => {
      const mine = randomUUID();
      const a = randomUUID();
      const b = randomUUID();
      const ra = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(a, mine, { specialization_codes: ['frontend'] }));
      await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(b, mine, { specialization_codes: ['backend'] }));
      await rest(system, 'POST', '/api/coord/agents/heartbeat', ra.body.api_key, { employee_id: a, status: 'busy', metadata: {} });

      const listed = await eventually(async () => {
        const res = await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${mine}`, ADMIN_TOKEN);
        const agents = res.body.agents as any[];
        return agents.length === 2 && agents.some((x) => x.status === 'busy') ? agents : undefined;
      });
      expect(listed.map((x) => x.employee_id).sort()).toEqual([a, b].sort());
      expect(listed[0]).toEqual(
        expect.objectContaining({ agent_id: expect.stringMatching(UUID), name: 'CLAUDE', endpoint_url: 'https://agent-host/api', owner_employee_id: mine }),
      );

      const bySpec = await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${mine}&specialization=frontend`, ADMIN_TOKEN);
      expect(bySpec.body.agents.map((x: any) => x.employee_id)).toEqual([a]);
      const byStatus = await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${mine}&status=registered`, ADMIN_TOKEN);
      expect(byStatus.body.agents.map((x: any) => x.employee_id)).toEqual([b]);
      const agentView = await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${mine}`, ra.body.api_key);
      expect(agentView.status).toBe(200);
    });
  });

  describe('authentication', () => {
    it('answers /health without a token and nothing else', async () => {
      expect(await rest(system, 'GET', '/health', null)).toMatchObject({ status: 200, body: { status: 'ok' } });
      for (const token of [null, 'wrong', 'ak_00000000000000000000000000000000_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
        const res = await rest(system, 'GET', '/api/coord/agents', token);
        expect(res.status).toBe(401);
        expect(res.body.error.code).toBe('UNAUTHENTICATED');
        expect((await gql(system, token, '{ agents { agentId } }')).status).toBe(401);
      }
      const malformed = await rest(system, 'GET', '/api/coord/agents', null, undefined, { authorization: 'Token abc' });
      expect(malformed.body.error.message).toMatch(/expected "Bearer <token>"/);
    });

    it('refuses a websocket subscription without a valid token', async () => {
      const sub = subscribe(system, 'not-a-token', 'subscription { agentUpdated { agentId } }');
      await expect(sub.next(3000)).rejects.toThrow();
      expect(sub.failure).toMatchObject({ code: 4403 });
      await sub.close();
    });

    it('lets only the admin register, and an agent act only as itself', async () => {
      const employeeId = randomUUID();
      const { body } = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, owner));
      const asAgent = await rest(system, 'POST', '/api/coord/agents/register', body.api_key, seedRegistration(randomUUID(), owner));
      expect(asAgent.status).toBe(403);
      const forOther = await rest(system, 'POST', '/api/coord/agents/heartbeat', body.api_key, { employee_id: randomUUID(), status: 'active' });
      expect(forOther.status).toBe(403);
      expect(forOther.body.error.message).toMatch(/may not send heartbeats for employee/);
      const byAdmin = await rest(system, 'POST', '/api/coord/agents/heartbeat', ADMIN_TOKEN, { employee_id: employeeId, status: 'active' });
      expect(byAdmin.status).toBe(403);
    });

    it('rotates the key on re-registration: the old key stops working', async () => {
      const employeeId = randomUUID();
      const first = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, owner));
      const second = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, owner, { name: 'CLAUDE-2' }));
      expect(second.body.agent_id).toBe(first.body.agent_id);
      expect(second.body.api_key).not.toBe(first.body.api_key);
      const old = await rest(system, 'POST', '/api/coord/agents/heartbeat', first.body.api_key, { employee_id: employeeId });
      expect(old.status).toBe(401);
      const fresh = await rest(system, 'POST', '/api/coord/agents/heartbeat', second.body.api_key, { employee_id: employeeId });
      expect(fresh.status).toBe(200);
    });
  });

  describe('bad input: a clear error naming the problem, nothing appended, still serving', () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['an unknown field', { ...seedRegistration(randomUUID(), owner), nickname: 'x' }, 400, /nickname: is not a known field/],
      ['a wrong type', { ...seedRegistration(randomUUID(), owner), name: 42 }, 400, /name: /],
      ['an empty name', { ...seedRegistration(randomUUID(), owner), name: '   ' }, 400, /name: must not be empty/],
      ['a malformed employee id', { ...seedRegistration('E-17', owner) }, 400, /employee_id: must be a UUID/],
      ['a non-http endpoint', { ...seedRegistration(randomUUID(), owner), endpoint_url: 'ftp://x' }, 400, /endpoint_url: must be an http\(s\) URL/],
      ['a bad specialization code', { ...seedRegistration(randomUUID(), owner), specialization_codes: ['Has Spaces'] }, 400, /specialization_codes.0: must be 1-64 characters/],
      ['capabilities over 64 KiB', { ...seedRegistration(randomUUID(), owner), capabilities: { blob: 'x'.repeat(70_000) } }, 400, /capabilities: must serialise to at most 65536 bytes/],
      ['invalid JSON', '{"employee_id": ', 400, /not valid JSON/],
      ['a body over 1 MiB', { ...seedRegistration(randomUUID(), owner), capabilities: { blob: 'x'.repeat(1_100_000) } }, 413, /larger than the 1 MiB limit/],
    ];

    it.each(cases)('refuses %s', async (_what, body, status, message) => {
      const before = await eventCount();
      const res = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, body);
      expect(res.status).toBe(status);
      expect(res.body.status).toBe('error');
      expect(res.body.error.message).toMatch(message);
      expect(await eventCount()).toBe(before);
      expect((await rest(system, 'GET', '/health', null)).status).toBe(200);
    });

    it('refuses an unknown heartbeat status and an unknown list filter', async () => {
      const employeeId = randomUUID();
      const { body } = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, owner));
      const bad = await rest(system, 'POST', '/api/coord/agents/heartbeat', body.api_key, { employee_id: employeeId, status: 'offline' });
      expect(bad.status).toBe(400);
      expect(bad.body.error.details[0]).toEqual({ path: 'status', message: 'must be one of active, idle, busy, paused' });
      const filter = await rest(system, 'GET', '/api/coord/agents?colour=red', ADMIN_TOKEN);
      expect(filter.status).toBe(400);
      expect(filter.body.error.message).toMatch(/colour: is not a known field/);
    });

    it('reports GraphQL input problems as GraphQL errors with the field named', async () => {
      const unknownField = await gql(system, ADMIN_TOKEN, `mutation { registerAgent(input: { employeeId: "${randomUUID()}", name: "x", colour: "red" }) { agentId } }`);
      expect(unknownField.errors?.[0].message).toMatch(/colour/);
      const empty = await gql(system, ADMIN_TOKEN, `mutation { registerAgent(input: { employeeId: "${randomUUID()}", name: "" }) { agentId } }`);
      expect(empty.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION_FAILED', details: [{ path: 'name', message: 'must not be empty' }] } });
    });
  });

  describe('commands carry an id', () => {
    it('answers a retried command with the first answer and applies it once', async () => {
      const employeeId = randomUUID();
      const key = randomUUID();
      const body = seedRegistration(employeeId, owner);
      const first = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, body, { 'idempotency-key': key });
      const before = await eventCount();
      const retry = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, body, { 'idempotency-key': key });
      expect(retry.body).toEqual(first.body);
      expect(await eventCount()).toBe(before);
      const events = await sql(`SELECT type FROM ${system.config.schemaPrefix}eventstore.events WHERE stream_id = $1`, [`agent-${first.body.agent_id}`]);
      expect(events.map((e) => e.type)).toEqual(['AgentRegistered']);

      const reused = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, { ...body, name: 'other' }, { 'idempotency-key': key });
      expect(reused.status).toBe(409);
      expect(reused.body.error.code).toBe('COMMAND_ID_REUSED');
    });
  });

  describe('GraphQL', () => {
    it('registers, heartbeats, queries and pushes every change to an open subscription', async () => {
      const owner = randomUUID();
      const sub = subscribe(system, ADMIN_TOKEN, `subscription($f: AgentFilter) { agentUpdated(filter: $f) { ${AGENT_FIELDS} } }`, {
        f: { ownerEmployeeId: owner },
      });
      await sub.connected;
      const employeeId = randomUUID();
      const registered = await gql(
        system,
        ADMIN_TOKEN,
        `mutation($i: RegisterAgentInput!) { registerAgent(input: $i) { agentId apiKey agent { ${AGENT_FIELDS} } } }`,
        { i: { employeeId, name: 'GQL', specializationCodes: ['planning'], capabilities: { tools: ['web'] }, ownerEmployeeId: owner } },
      );
      expect(registered.errors).toBeUndefined();
      const { agentId, apiKey, agent } = registered.data.registerAgent;
      expect(agent).toMatchObject({ agentId, employeeId, name: 'GQL', status: 'REGISTERED', revision: 0, endpointUrl: null });

      const pushed = await sub.next();
      expect(pushed.data.agentUpdated).toMatchObject({ agentId, status: 'REGISTERED' });

      const beat = await gql(system, apiKey, `mutation { agentHeartbeat(input: { employeeId: "${employeeId}", status: IDLE, metadata: { load: 0.5 } }) { agentId status nextHeartbeatSec } }`);
      expect(beat.data.agentHeartbeat).toEqual({ agentId, status: 'IDLE', nextHeartbeatSec: 60 });
      const pushedBeat = await sub.next();
      expect(pushedBeat.data.agentUpdated).toMatchObject({ agentId, status: 'IDLE', statusMetadata: { load: 0.5 }, revision: 1 });

      const one = await gql(system, ADMIN_TOKEN, `{ agent(agentId: "${agentId}") { name status } }`);
      expect(one.data.agent).toEqual({ name: 'GQL', status: 'IDLE' });
      const missing = await gql(system, ADMIN_TOKEN, `{ agent(agentId: "${randomUUID()}") { name } }`);
      expect(missing.errors?.[0].extensions.code).toBe('NOT_FOUND');
      const listed = await gql(system, ADMIN_TOKEN, `{ agents(filter: { specialization: "planning", ownerEmployeeId: "${owner}" }) { agentId } }`);
      expect(listed.data.agents).toEqual([{ agentId }]);

      // The subscription filter holds back agents of other owners.
      await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(randomUUID(), randomUUID()));
      await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(randomUUID(), owner, { name: 'VIA-REST' }));
      expect((await sub.next()).data.agentUpdated.name).toBe('VIA-REST');
      await sub.close();
    });

    it('rebuilds the read model from event zero with identical rows', async () => {
      const rows = () => sql(`SELECT to_jsonb(a) AS row FROM ${system.config.schemaPrefix}coordinator.agents a ORDER BY agent_id`);
      await eventually(async () => {
        const [{ n }] = await sql<{ n: string }>(`SELECT count(*) AS n FROM ${system.config.schemaPrefix}eventstore.events`);
        return (await system.coordinator.agentsProjector.isCaughtUp()) ? n : undefined;
      });
      const before = await rows();
      expect(before.length).toBeGreaterThan(5);
      const rebuilt = await gql(system, ADMIN_TOKEN, 'mutation { rebuildProjections { projections { name eventsReplayed rows } } }');
      expect(rebuilt.errors).toBeUndefined();
      const [report] = rebuilt.data.rebuildProjections.projections;
      expect(report).toMatchObject({ name: 'coordinator.agents', rows: before.length });
      expect(report.eventsReplayed).toBeGreaterThanOrEqual(before.length);
      expect(await rows()).toEqual(before);

      const asAgent = await gql(system, (await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(randomUUID(), owner))).body.api_key, 'mutation { rebuildProjections { projections { name } } }');
      expect(asAgent.errors?.[0].extensions.code).toBe('FORBIDDEN');
    });
  });
});

describeWith({ postgres: true }, 'the schema the gateway serves', () => {
  it('is the committed libs/gateway/schema.graphql', async () => {
    const { buildClientSchema, getIntrospectionQuery, lexicographicSortSchema, printSchema } = await import('graphql');
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const system = await startTestSystem();
    try {
      const { data } = await gql(system, ADMIN_TOKEN, getIntrospectionQuery());
      const served = `${printSchema(lexicographicSortSchema(buildClientSchema(data)))}\n`;
      expect(served).toBe(readFileSync(join(__dirname, '../../gateway/schema.graphql'), 'utf8'));
    } finally {
      await system.close();
    }
  });
});
