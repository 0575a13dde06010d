import { randomUUID } from 'node:crypto';
import { Subjects, type AgentView, type TaskView } from '@autocoder/contracts';
import { JsonText } from '@autocoder/messaging';
import { TEST_NATS_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { execute, parse } from 'graphql';
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

    it('answers a repeated query (compiled from its second use) exactly as graphql-js executes it, errors included', async () => {
      const { schema } = system.app.get(GraphQLSchemaHost);
      const queries: [string, Record<string, unknown>?][] = [
        [`query All($limit: Int) { agents(filter: { limit: $limit }) { ${AGENT_FIELDS} } }`, { limit: 500 }],
        [
          `query Shaped($f: AgentFilter, $withMeta: Boolean!) { mine: agents(filter: $f) { ...Who __typename meta: statusMetadata @include(if: $withMeta) caps: capabilities @skip(if: $withMeta) }
             two: agents(filter: { limit: 2 }) { agentId } }
           fragment Who on Agent { id: agentId name status specializationCodes revision }`,
          { f: { ownerEmployeeId: owner }, withMeta: true },
        ],
        [`{ agents(filter: { status: BUSY }) { name status lastHeartbeatAt } tasks(filter: { limit: 3 }) { taskId } }`],
        [`{ agent(agentId: "${randomUUID()}") { name } }`],
        [`{ agents(filter: { limit: 5000 }) { agentId } }`],
      ];
      for (const [query, variables] of queries) {
        const reference = await execute({ schema, document: parse(query), variableValues: variables, contextValue: { actor: { kind: 'admin' } } });
        const answers = [];
        for (let i = 0; i < 3; i++) answers.push(await gql(system, ADMIN_TOKEN, query, variables));
        for (const answer of answers) {
          expect(answer.status).toBe(200);
          expect(JSON.stringify(answer.data ?? null)).toBe(JSON.stringify(reference.data ?? null));
          expect(answer.errors?.map((e: { message: string; path?: unknown }) => [e.message, e.path])).toEqual(reference.errors?.map((e) => [e.message, e.path]));
          expect(JSON.stringify(answer.body)).toBe(JSON.stringify(answers[0].body));
        }
      }
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

const TASK_FIELDS =
  'taskId projectId title description requiredSpecializationCode createdBy priority dependsOn status blocker assigneeId assigneeAgentId leaseExpiresAt fencingToken claimOverride createdAt updatedAt revision';

function taskAndMessageLists(name: string, start: () => Promise<TestSystem>) {
  describe(`${name}: task and message lists answer what the single views and the rows say`, () => {
    let system: TestSystem;
    const projectId = randomUUID();
    const creator = randomUUID();
    let agent: { employeeId: string; key: string };
    let threadId: string;
    const tasks: string[] = [];

    /** Every projector has applied every stored event of its types. */
    const caughtUp = async () => {
      for (const projector of system.coordinator.projectors) {
        if (!(await projector.isCaughtUp())) return undefined;
      }
      return true;
    };

    beforeAll(async () => {
      system = await start();
      agent = { employeeId: randomUUID(), key: '' };
      agent.key = (await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, { employee_id: agent.employeeId, name: 'worker', specialization_codes: ['planning'] })).body.api_key;
      for (let i = 0; i < 12; i++) {
        const res = await rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, {
          project_id: projectId,
          title: `task ${i} "quoted" é`,
          description: i % 2 ? '' : 'line one\nline two',
          required_specialization_code: 'planning',
          created_by: creator,
          priority: `P${i % 4}`,
          ...(i >= 2 && i < 5 ? { depends_on: [tasks[0], tasks[1]] } : {}),
        });
        expect(res.status).toBe(200);
        tasks.push(res.body.task_id);
      }
      const claim = (taskId: string) => rest(system, 'POST', `/api/coord/tasks/${taskId}/claim`, agent.key, { employee_id: agent.employeeId, lease_ttl_sec: 600 });
      const status = (taskId: string, body: Record<string, unknown>) => rest(system, 'POST', `/api/coord/tasks/${taskId}/status`, agent.key, { employee_id: agent.employeeId, ...body });
      for (const taskId of tasks.slice(5, 9)) expect((await claim(taskId)).status).toBe(200);
      expect((await status(tasks[6], { status: 'in_progress' })).status).toBe(200);
      expect((await status(tasks[7], { status: 'blocked', blocker: 'needs the schema' })).status).toBe(200);
      expect((await rest(system, 'POST', `/api/coord/tasks/${tasks[8]}/release`, agent.key, { employee_id: agent.employeeId, reason: 'later' })).status).toBe(200);

      threadId = randomUUID();
      const payloads = [{ text: 'hello' }, { nested: { list: [1, 2.5, null, 'ü "x"'] }, b: true, a: {} }, { status: 'blocked', summary: 'Need schema' }];
      for (const [i, payload] of payloads.entries()) {
        const res = await rest(system, 'POST', '/api/coord/messages', agent.key, {
          thread_id: threadId,
          project_id: projectId,
          sender_id: agent.employeeId,
          message_type: i === 2 ? 'task_update' : 'note',
          payload,
          ...(i === 2 ? { task_id: tasks[7] } : {}),
        });
        expect(res.status).toBe(200);
      }
      await eventually(caughtUp, 20_000, 'projections caught up');
    }, 120_000);
    afterAll(async () => system?.close());

    it('tasks: every listed task is exactly its single-task view, on the bus, in REST bytes and in GraphQL', async () => {
      const listed = await system.bus.request<TaskView[]>(Subjects.coordinator.listTasks, { correlationId: randomUUID(), actor: { kind: 'admin' }, payload: { projectId } });
      expect(listed.map((t) => t.taskId).sort()).toEqual([...tasks].sort());
      const single = await Promise.all(listed.map((t) => system.bus.request<TaskView>(Subjects.coordinator.getTask, { correlationId: randomUUID(), actor: { kind: 'admin' }, payload: { taskId: t.taskId } })));
      expect(JSON.stringify(listed)).toBe(JSON.stringify(single));
      expect(listed.find((t) => t.taskId === tasks[6])).toMatchObject({ status: 'in_progress', assigneeId: agent.employeeId, fencingToken: 1, leaseExpiresAt: expect.stringMatching(/Z$/) });
      expect(listed.find((t) => t.taskId === tasks[7])).toMatchObject({ status: 'blocked', blocker: 'needs the schema', assigneeId: null, leaseExpiresAt: null, fencingToken: null });
      expect(listed.find((t) => t.taskId === tasks[2])?.dependsOn).toEqual([tasks[0], tasks[1]]);

      const res = await fetch(`${system.url}/api/coord/tasks?project_id=${projectId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(await res.text()).toBe(JSON.stringify({ status: 'ok', tasks: single.map(snake) }));

      const { schema } = system.app.get(GraphQLSchemaHost);
      const query = `{ tasks(filter: { projectId: "${projectId}" }) { ${TASK_FIELDS} } }`;
      const reference = await execute({ schema, document: parse(query), contextValue: { actor: { kind: 'admin' } } });
      for (let i = 0; i < 2; i++) expect(JSON.stringify((await gql(system, ADMIN_TOKEN, query)).data)).toBe(JSON.stringify(reference.data));
      const byStatus = await rest(system, 'GET', `/api/coord/tasks?project_id=${projectId}&status=claimed&assignee_id=${agent.employeeId}`, ADMIN_TOKEN);
      expect(byStatus.body.tasks.map((t: { task_id: string }) => t.task_id)).toEqual([tasks[5]]);
    });

    it('messages: the list is the stored rows as the views always showed them', async () => {
      const rows = await sql<Record<string, any>>(`SELECT * FROM ${system.config.schemaPrefix}coordinator.messages WHERE thread_id = $1 ORDER BY posted_at, position`, [threadId]);
      expect(rows).toHaveLength(3);
      const views = rows.map((r) => ({
        messageId: r.message_id,
        threadId: r.thread_id,
        projectId: r.project_id,
        taskId: r.task_id,
        senderId: r.sender_id,
        messageType: r.message_type,
        payload: r.payload,
        postedAt: (r.posted_at as Date).toISOString(),
        sequence: r.sequence,
      }));
      const listed = await system.bus.request<unknown[]>(Subjects.coordinator.listMessages, { correlationId: randomUUID(), actor: { kind: 'admin' }, payload: { threadId } });
      expect(JSON.stringify(listed)).toBe(JSON.stringify(views));
      const res = await fetch(`${system.url}/api/coord/messages?thread_id=${threadId}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      expect(await res.text()).toBe(JSON.stringify({ status: 'ok', messages: views.map(snake) }));
      const since = await rest(system, 'GET', `/api/coord/messages?thread_id=${threadId}&since=${views[0].postedAt}&limit=1`, ADMIN_TOKEN);
      expect(since.body.messages.map((m: { message_id: string }) => m.message_id)).toEqual([views[1].messageId]);
      const byTask = await rest(system, 'GET', `/api/coord/messages?task_id=${tasks[7]}`, ADMIN_TOKEN);
      expect(byTask.body.messages.map((m: { message_id: string }) => m.message_id)).toEqual([views[2].messageId]);
    });
  });
}

describeWith({ postgres: true }, 'task and message lists, in-process transport', () => {
  taskAndMessageLists('in-process', () => startTestSystem());
});

describeWith({ postgres: true, nats: true }, 'task and message lists, over NATS', () => {
  taskAndMessageLists('NATS', () => startTestSystem({ natsUrl: TEST_NATS_URL, natsPrefix: `${uniqueSchema('lists')}.` }));
});

/**
 * A list is kept by the coordinator until its read model changes (ListAnswers) and the gateway makes
 * its answer once for each kept list (Renderings): what a client sees must still be the read model
 * as it is now, for every query its own.
 */
function keptLists(name: string, start: () => Promise<TestSystem>) {
  describe(`${name}: a kept list shows every change the read model has, and each query its own answer`, () => {
    let system: TestSystem;
    const owner = randomUUID();
    const agents = ['alpha', 'beta', 'gamma'].map((agentName, i) => ({ employee_id: randomUUID(), name: agentName, owner_employee_id: owner, specialization_codes: i === 1 ? ['backend'] : [] }));
    const keys: string[] = [];
    const schema = () => `${system.config.schemaPrefix}coordinator`;

    const restList = async (query = '', token = ADMIN_TOKEN) => {
      const res = await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${owner}${query}`, token);
      expect(res.status).toBe(200);
      return res.body.agents as { name: string; status: string; status_metadata: unknown }[];
    };
    const gqlList = async (filter: Record<string, unknown> = {}, fields = 'name status statusMetadata') => {
      const res = await gql(system, ADMIN_TOKEN, `query Kept($f: AgentFilter) { agents(filter: $f) { ${fields} } }`, { f: { ownerEmployeeId: owner, ...filter } });
      expect(res.errors).toBeUndefined();
      return res.data.agents as { name?: string; status?: string; statusMetadata?: unknown }[];
    };
    /** Each list asked twice: the second answer is the kept one. */
    const twice = async <T>(ask: () => Promise<T>) => {
      const first = await ask();
      expect(await ask()).toEqual(first);
      return first;
    };
    const register = async (body: (typeof agents)[number]) => {
      const res = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, body);
      expect(res.status).toBe(200);
      keys.push(res.body.api_key);
    };
    const readModel = (check: (rows: { name: string; status: string }[]) => boolean, what: string) =>
      eventually(async () => {
        const rows = await sql<{ name: string; status: string }>(`SELECT name, status FROM ${schema()}.agents WHERE owner_employee_id = $1`, [owner]);
        return check(rows) ? true : undefined;
      }, 20_000, what);

    beforeAll(async () => {
      system = await start();
      for (const body of agents.slice(0, 2)) await register(body);
      await readModel((rows) => rows.length === 2, 'two agents in the read model');
    }, 60_000);
    afterAll(async () => system?.close());

    it('a registration is in the next list, REST and GraphQL, once the read model has it', async () => {
      expect((await twice(() => restList())).map((a) => a.name)).toEqual(['alpha', 'beta']);
      expect((await twice(() => gqlList())).map((a) => a.name)).toEqual(['alpha', 'beta']);
      await register(agents[2]);
      await readModel((rows) => rows.length === 3, 'the third agent in the read model');
      expect((await restList()).map((a) => a.name)).toEqual(['alpha', 'beta', 'gamma']);
      expect((await gqlList()).map((a) => a.name)).toEqual(['alpha', 'beta', 'gamma']);
    });

    it('a heartbeat is in the next list, REST and GraphQL, once the read model has it', async () => {
      expect((await twice(() => restList())).map((a) => a.status)).toEqual(['registered', 'registered', 'registered']);
      expect((await twice(() => gqlList())).map((a) => a.status)).toEqual(['REGISTERED', 'REGISTERED', 'REGISTERED']);
      const beat = await rest(system, 'POST', '/api/coord/agents/heartbeat', keys[0], { employee_id: agents[0].employee_id, status: 'busy', metadata: { task: 'kept lists' } });
      expect(beat.status).toBe(200);
      await readModel((rows) => rows.some((r) => r.name === 'alpha' && r.status === 'busy'), 'the heartbeat in the read model');
      expect((await restList())[0]).toMatchObject({ name: 'alpha', status: 'busy', status_metadata: { task: 'kept lists' } });
      expect((await gqlList())[0]).toEqual({ name: 'alpha', status: 'BUSY', statusMetadata: { task: 'kept lists' } });
    });

    it('never answers one query with the list kept for another: filters, limits, GraphQL selections', async () => {
      for (let round = 0; round < 2; round++) {
        expect((await restList('&limit=1')).map((a) => a.name)).toEqual(['alpha']);
        expect((await restList('&limit=2')).map((a) => a.name)).toEqual(['alpha', 'beta']);
        expect((await restList()).map((a) => a.name)).toEqual(['alpha', 'beta', 'gamma']);
        expect((await restList('&status=busy')).map((a) => a.name)).toEqual(['alpha']);
        expect((await restList('&specialization=backend')).map((a) => a.name)).toEqual(['beta']);
        expect(await gqlList({ limit: 2 }, 'name')).toEqual([{ name: 'alpha' }, { name: 'beta' }]);
        expect(await gqlList({ limit: 2 }, 'status')).toEqual([{ status: 'BUSY' }, { status: 'REGISTERED' }]);
        expect(await gqlList({ status: 'REGISTERED' }, 'name')).toEqual([{ name: 'beta' }, { name: 'gamma' }]);
      }
    });

    it('asks for the admin token or an agent key as before, kept list or not', async () => {
      const asAdmin = await twice(() => restList());
      expect(await restList('', keys[1])).toEqual(asAdmin);
      for (const token of [null, 'adm_wrong', 'agt_not_a_key']) {
        expect((await rest(system, 'GET', `/api/coord/agents?owner_employee_id=${owner}`, token)).status).toBe(401);
        expect((await gql(system, token, '{ agents { name } }')).status).toBe(401);
      }
    });

    it('tasks and messages: a change is in the next list, REST and GraphQL, and each query has its own', async () => {
      const projectId = randomUUID();
      const threadId = randomUUID();
      const worker = { employee_id: agents[1].employee_id };
      const restTasks = async (query = '') => (await rest(system, 'GET', `/api/coord/tasks?project_id=${projectId}${query}`, ADMIN_TOKEN)).body.tasks.map((t: { title: string; status: string }) => `${t.title}:${t.status}`);
      const gqlTasks = async (status?: string) =>
        (await gql(system, ADMIN_TOKEN, 'query T($f: TaskFilter) { tasks(filter: $f) { title status } }', { f: { projectId, ...(status ? { status } : {}) } })).data.tasks.map(
          (t: { title: string; status: string }) => `${t.title}:${t.status}`,
        );
      const restMessages = async (query = '') => (await rest(system, 'GET', `/api/coord/messages?thread_id=${threadId}${query}`, ADMIN_TOKEN)).body.messages.map((m: { payload: { text: string } }) => m.payload.text);
      const gqlMessages = async (limit?: number) =>
        (await gql(system, ADMIN_TOKEN, 'query M($f: MessageFilter!) { messages(filter: $f) { payload } }', { f: { threadId, ...(limit ? { limit } : {}) } })).data.messages.map(
          (m: { payload: { text: string } }) => m.payload.text,
        );
      const tasksInReadModel = (check: (rows: { status: string }[]) => boolean, what: string) =>
        eventually(async () => (check(await sql<{ status: string }>(`SELECT status FROM ${schema()}.tasks WHERE project_id = $1`, [projectId])) ? true : undefined), 20_000, what);
      const post = async (text: string) =>
        expect((await rest(system, 'POST', '/api/coord/messages', keys[1], { thread_id: threadId, project_id: projectId, sender_id: worker.employee_id, message_type: 'note', payload: { text } })).status).toBe(200);

      const created = await rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, { project_id: projectId, title: 'one', description: '', required_specialization_code: 'backend', created_by: owner, priority: 'P1' });
      expect(created.status).toBe(200);
      await tasksInReadModel((rows) => rows.length === 1, 'the task in the read model');
      expect(await twice(() => restTasks())).toEqual(['one:ready']);
      expect(await twice(() => gqlTasks())).toEqual(['one:READY']);
      expect((await rest(system, 'POST', `/api/coord/tasks/${created.body.task_id}/claim`, keys[1], { ...worker, lease_ttl_sec: 600 })).status).toBe(200);
      await tasksInReadModel((rows) => rows[0]?.status === 'claimed', 'the claim in the read model');
      expect(await restTasks()).toEqual(['one:claimed']);
      expect(await gqlTasks()).toEqual(['one:CLAIMED']);
      expect(await restTasks('&status=ready')).toEqual([]);
      expect(await gqlTasks('READY')).toEqual([]);
      expect(await restTasks('&status=claimed')).toEqual(['one:claimed']);

      await post('first');
      expect(await twice(() => restMessages())).toEqual(['first']);
      expect(await twice(() => gqlMessages())).toEqual(['first']);
      await post('second'); // a post answers once its message is in the read model
      expect(await restMessages()).toEqual(['first', 'second']);
      expect(await gqlMessages()).toEqual(['first', 'second']);
      expect(await restMessages('&limit=1')).toEqual(['first']);
      expect(await gqlMessages(1)).toEqual(['first']);
      expect(await restMessages()).toEqual(['first', 'second']);
    });

    it("GraphQL answers say cache-control: no-store, as with Apollo's cache-control plugin, compiled or not, errors too", async () => {
      for (const query of ['{ agents { name } }', '{ agents { name } }', '{ agents { name } }', '{ agent(agentId: "nope") { name } }', '{ nope }']) {
        const res = await rest(system, 'POST', '/graphql', ADMIN_TOKEN, { query });
        expect([query, res.headers.get('cache-control')]).toEqual([query, 'no-store']);
      }
    });

    it('follows the checkpoint row every instance shares, not what this instance projected', async () => {
      const before = await twice(() => restList());
      await twice(() => gqlList());
      // What another instance's projector does: a row and the checkpoint change in one transaction.
      // This instance's projector is stopped, so it cannot have seen it.
      await system.coordinator.agentsProjector.stop();
      await sql(
        `WITH renamed AS (UPDATE ${schema()}.agents SET name = 'renamed elsewhere' WHERE employee_id = $1 RETURNING 1)
         UPDATE ${schema()}.projection_checkpoints SET updated_at = now() WHERE name = 'coordinator.agents' AND EXISTS (SELECT 1 FROM renamed)`,
        [agents[1].employee_id],
      );
      expect((await restList()).map((a) => a.name)).toEqual(['alpha', 'renamed elsewhere', 'gamma']);
      expect((await gqlList()).map((a) => a.name)).toEqual(['alpha', 'renamed elsewhere', 'gamma']);
      expect(before.map((a) => a.name)).toEqual(['alpha', 'beta', 'gamma']);
    });
  });
}

/**
 * The bus hands a kept list over unparsed (MessageBus.requestJson), with the same tag until the read
 * model moves, on either transport; REST sends the bytes it made of it, the same every time.
 */
function keptAnswerOnTheBus(name: string, start: () => Promise<TestSystem>) {
  it(`${name}: the bus hands the kept answer over as the same JSON text until the read model moves; REST sends the same bytes`, async () => {
    const system = await start();
    try {
      const list = async () =>
        (await system.bus.requestJson<AgentView[]>(Subjects.coordinator.listAgents, { correlationId: randomUUID(), actor: { kind: 'admin' }, payload: {} })) as JsonText<AgentView[]>;
      const restBytes = async () => {
        const res = await fetch(`${system.url}/api/coord/agents?limit=500`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        expect(res.status).toBe(200);
        return { etag: res.headers.get('etag'), bytes: Buffer.from(await res.arrayBuffer()) };
      };
      expect((await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, { employee_id: randomUUID(), name: 'first' })).status).toBe(200);
      const first = await eventually(async () => {
        const answer = await list();
        return answer.parse().length === 1 ? answer : undefined;
      }, 20_000, 'the first agent listed');
      expect(first).toBeInstanceOf(JsonText);
      const again = await list();
      expect(again.tag).toBe(first.tag);
      expect(again.text).toBe(first.text);
      // In process the coordinator's own JsonText; over NATS the one the bus holds, the reply naming it by its tag.
      expect(again).toBe(first);
      const [one, two] = [await restBytes(), await restBytes()];
      expect(two.bytes.equals(one.bytes)).toBe(true);
      expect(two.etag).toBe(one.etag);
      expect(JSON.parse(one.bytes.toString('utf8')).agents.map((a: { name: string }) => a.name)).toEqual(['first']);

      const employeeId = randomUUID();
      expect((await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, { employee_id: employeeId, name: 'new' })).status).toBe(200);
      const changed = await eventually(async () => {
        const answer = await list();
        return answer.parse().some((a) => a.employeeId === employeeId) ? answer : undefined;
      }, 20_000, 'the new agent listed');
      expect(changed.tag).not.toBe(first.tag);
      expect((await list()).tag).toBe(changed.tag);
      const after = await restBytes();
      expect(JSON.parse(after.bytes.toString('utf8')).agents.map((a: { name: string }) => a.name)).toEqual(['first', 'new']);
      expect(after.etag).not.toBe(one.etag);
    } finally {
      await system.close();
    }
  }, 60_000);
}

describeWith({ postgres: true }, 'kept lists, in-process transport', () => {
  keptLists('in-process', () => startTestSystem());
  keptAnswerOnTheBus('in-process', () => startTestSystem());
});

describeWith({ postgres: true, nats: true }, 'kept lists, over NATS', () => {
  keptLists('NATS', () => startTestSystem({ natsUrl: TEST_NATS_URL, natsPrefix: `${uniqueSchema('lists')}.` }));
  keptAnswerOnTheBus('NATS', () => startTestSystem({ natsUrl: TEST_NATS_URL, natsPrefix: `${uniqueSchema('lists')}.` }));
});
