import { randomUUID } from 'node:crypto';
import { Subjects, type AgentView } from '@autocoder/contracts';
import { TEST_NATS_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { ADMIN_TOKEN, eventually, gql, rest, sql, startTestSystem, type TestSystem } from './harness';

const AGENT_FIELDS = 'agentId employeeId name endpointUrl specializationCodes capabilities ownerEmployeeId status statusMetadata lastHeartbeatAt registeredAt updatedAt revision';

/** REST's field names as the gateway has always written them: top-level keys only. */
const snake = (view: object) => Object.fromEntries(Object.entries(view).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));

/** Agents whose stored values need care on the way out: nulls, empties, escapes, unicode, nested JSON, numbers. */
const registrations = (owner: string) => [
  { employee_id: randomUUID(), name: 'CLAUDE', endpoint_url: 'https://agent-host/api', specialization_codes: ['planning', 'backend'], capabilities: { tools: ['web', 'db'] }, owner_employee_id: owner },
  { employee_id: randomUUID(), name: 'bare', owner_employee_id: owner },
  {
    employee_id: randomUUID(),
    name: 'quote " backslash \\ newline \n tab \t é 😀 \u2028 </script>',
    endpoint_url: 'http://host:8080/a?b=c&d="e"',
    specialization_codes: ['x.y-z_1'],
    capabilities: { b: 1.5, a: [1, -0, 1e21, 12345678901234567890, 0.1, true, null], 'ключ': { deep: { deeper: ['\u0001', 'é', ''] } }, empty: {}, list: [] },
    owner_employee_id: owner,
  },
];

function listContract(name: string, start: () => Promise<TestSystem>) {
  describe(`${name}: 500-row lists answer exactly what the per-agent views say`, () => {
    let system: TestSystem;
    const owner = randomUUID();
    const mine = registrations(owner);
    let ordered: string[] = [];

    beforeAll(async () => {
      system = await start();
      const keys: string[] = [];
      for (const body of mine) {
        const res = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, body);
        expect(res.status).toBe(200);
        keys.push(res.body.api_key);
      }
      const beat = await rest(system, 'POST', '/api/coord/agents/heartbeat', keys[2], {
        employee_id: mine[2].employee_id,
        status: 'busy',
        metadata: { load: 0.25, note: 'ü "x"', nested: { n: [1, 2] } },
      });
      expect(beat.status).toBe(200);
      // Fill up to 500 with plain agents of other owners.
      for (let i = 0; i < 497; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, 497 - i) }, (_, j) =>
            rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, { employee_id: randomUUID(), name: `filler-${i + j}`, owner_employee_id: randomUUID() }),
          ),
        );
      }
      const schema = `${system.config.schemaPrefix}coordinator`;
      ordered = await eventually(async () => {
        const rows = await sql<{ agent_id: string }>(`SELECT agent_id FROM ${schema}.agents ORDER BY registered_at, agent_id`);
        const beats = await sql<{ n: number }>(`SELECT count(last_heartbeat_at)::int AS n FROM ${schema}.agents`);
        return rows.length === 500 && beats[0].n === 1 ? rows.map((r) => r.agent_id) : undefined;
      }, 30_000, 'all 500 agents in the read model');
    }, 120_000);
    afterAll(async () => system?.close());

    /** Each agent as the single-agent query shows it (agentViewOfRow), in the list's order. */
    const oneByOne = () =>
      Promise.all(ordered.map((agentId) => system.bus.request<AgentView>(Subjects.coordinator.getAgent, { correlationId: randomUUID(), actor: { kind: 'admin' }, payload: { agentId } })));

    it('the bus answer is every agent, in order, each exactly as the single-agent view', async () => {
      const listed = await system.bus.request<AgentView[]>(Subjects.coordinator.listAgents, { correlationId: randomUUID(), actor: { kind: 'admin' }, payload: {} });
      expect(listed).toHaveLength(500);
      expect(JSON.stringify(listed)).toBe(JSON.stringify(await oneByOne()));
      const special = listed.find((a) => a.specializationCodes.includes('x.y-z_1'))!;
      expect(special.name).toBe('quote " backslash \\ newline \n tab \t é 😀 \u2028 </script>');
      expect(special.capabilities).toEqual({ b: 1.5, a: [1, 0, 1e21, 12345678901234567000, 0.1, true, null], 'ключ': { deep: { deeper: ['\u0001', 'é', ''] } }, empty: {}, list: [] });
      expect(special.statusMetadata).toEqual({ load: 0.25, note: 'ü "x"', nested: { n: [1, 2] } });
      expect(special.lastHeartbeatAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const bare = listed.find((a) => a.name === 'bare')!;
      expect(bare).toMatchObject({ endpointUrl: null, specializationCodes: [], capabilities: {}, statusMetadata: {}, lastHeartbeatAt: null, status: 'registered', revision: 0 });
    });

    it('GET /api/coord/agents?limit=500 writes the same bytes the gateway always wrote for these views', async () => {
      const res = await fetch(`${system.url}/api/coord/agents?limit=500`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.text()).toBe(JSON.stringify({ status: 'ok', agents: (await oneByOne()).map(snake) }));
    });

    it('the GraphQL agents query answers the same data as asking for each agent', async () => {
      const listed = await gql(system, ADMIN_TOKEN, `{ agents(filter: { limit: 500 }) { ${AGENT_FIELDS} } }`);
      expect(listed.errors).toBeUndefined();
      const single = await Promise.all(ordered.map(async (id) => (await gql(system, ADMIN_TOKEN, `{ agent(agentId: "${id}") { ${AGENT_FIELDS} } }`)).data.agent));
      expect(JSON.stringify(listed.data.agents)).toBe(JSON.stringify(single));
      expect(listed.data.agents.find((a: { name: string }) => a.name === 'bare').status).toBe('REGISTERED');
    });

    it('filters and limits as before: owner, specialization, status, limit', async () => {
      const owned = await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${owner}`, ADMIN_TOKEN);
      expect(owned.body.agents.map((a: { name: string }) => a.name)).toEqual(mine.map((r) => r.name));
      const bySpec = await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${owner}&specialization=backend`, ADMIN_TOKEN);
      expect(bySpec.body.agents.map((a: { name: string }) => a.name)).toEqual(['CLAUDE']);
      const busy = await rest(system, 'GET', '/api/coord/agents?status=busy', ADMIN_TOKEN);
      expect(busy.body.agents.map((a: { status: string }) => a.status)).toEqual(['busy']);
      const first = await rest(system, 'GET', '/api/coord/agents?limit=2', ADMIN_TOKEN);
      expect(first.body.agents.map((a: { agent_id: string }) => a.agent_id)).toEqual(ordered.slice(0, 2));
      const none = await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${randomUUID()}`, ADMIN_TOKEN);
      expect(none.body).toEqual({ status: 'ok', agents: [] });
    });
  });
}

describeWith({ postgres: true }, 'lists, in-process transport', () => {
  listContract('in-process', () => startTestSystem());
});

describeWith({ postgres: true, nats: true }, 'lists, over NATS', () => {
  listContract('NATS', () => startTestSystem({ natsUrl: TEST_NATS_URL, natsPrefix: `${uniqueSchema('lists')}.` }));
});
