import { randomUUID } from 'node:crypto';
import { describeWith } from '@autocoder/testing';
import { ADMIN_TOKEN, eventually, gql, rest, seedRegistration, sql, startTestSystem, subscribe, type TestSystem } from './harness';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MESSAGE_KEYS = ['message_id', 'message_type', 'payload', 'posted_at', 'project_id', 'sender_id', 'sequence', 'task_id', 'thread_id'];
const PLAN_FIELDS = 'planId projectId title bodyMarkdown revision createdBy createdAt updatedBy updatedAt';
const REVISION_FIELDS = 'revision title bodyMarkdown author authorEmployeeId at';

interface Agent {
  employeeId: string;
  agentId: string;
  key: string;
}

describeWith({ postgres: true }, 'coordination chat, plans and decisions end to end (seed 004, real Postgres)', () => {
  let system: TestSystem;
  let agent: Agent;
  const owner = randomUUID();

  const register = async (): Promise<Agent> => {
    const employeeId = randomUUID();
    const res = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, owner));
    expect(res.status).toBe(200);
    return { employeeId, agentId: res.body.agent_id, key: res.body.api_key };
  };
  const streamEvents = (stream: string) =>
    sql<{ type: string; data: any }>(`SELECT type, data FROM ${system.config.schemaPrefix}eventstore.events WHERE stream_id = $1 ORDER BY revision`, [stream]);
  const post = (token: string, body: Record<string, unknown>, headers: Record<string, string> = {}) => rest(system, 'POST', '/api/coord/messages', token, body, headers);
  /** Starts a thread in a project with a first message and answers its id. */
  const startThread = async (projectId: string, sender = agent, over: Record<string, unknown> = {}) => {
    const threadId = randomUUID();
    const res = await post(sender.key, { thread_id: threadId, project_id: projectId, sender_id: sender.employeeId, message_type: 'note', payload: { text: 'hello' }, ...over });
    expect(res.status).toBe(200);
    return threadId;
  };
  const list = (query: string, token = ADMIN_TOKEN) => rest(system, 'GET', `/api/coord/messages?${query}`, token);
  const createTask = async (projectId: string) => {
    const res = await rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, {
      project_id: projectId,
      title: 'Design Coordinator API',
      description: 'Create endpoint list and payloads',
      required_specialization_code: 'planning',
      created_by: owner,
      priority: 'P1',
    });
    expect(res.status).toBe(200);
    return res.body.task_id as string;
  };

  beforeAll(async () => {
    system = await startTestSystem();
    agent = await register();
  });
  afterAll(async () => system?.close());

  describe('seed 004 REST payloads', () => {
    it('takes the seed message request as written once the thread exists, and answers {"status":"ok","message_id"}', async () => {
      const projectId = randomUUID();
      const threadId = await startThread(projectId);
      // The seed's request, verbatim: no project_id, which the thread already fixes.
      const res = await post(agent.key, {
        thread_id: threadId,
        sender_id: agent.employeeId,
        message_type: 'task_update',
        payload: { status: 'blocked', summary: 'Need schema' },
      });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['message_id', 'status']);
      expect(res.body).toEqual({ status: 'ok', message_id: expect.stringMatching(UUID) });

      const events = await streamEvents(`thread-${threadId}`);
      expect(events.map((e) => e.type)).toEqual(['MessagePosted', 'MessagePosted']);
      expect(events[1].data).toMatchObject({ messageId: res.body.message_id, threadId, projectId, taskId: null, senderId: agent.employeeId, messageType: 'task_update' });
    });

    it('starts a thread with the seed request verbatim (no project_id); a later message ties it to a project, which then lists the whole thread', async () => {
      const threadId = randomUUID();
      const seedRequest = { thread_id: threadId, sender_id: agent.employeeId, message_type: 'task_update', payload: { status: 'blocked', summary: 'Need schema' } };
      const first = await post(agent.key, seedRequest);
      expect(first.status).toBe(200);
      expect(first.body).toEqual({ status: 'ok', message_id: expect.stringMatching(UUID) });
      expect((await streamEvents(`thread-${threadId}`)).map((e) => e.data.projectId)).toEqual([null]);
      const unfiled = await list(`thread_id=${threadId}`);
      expect(unfiled.body.messages).toEqual([expect.objectContaining({ message_id: first.body.message_id, project_id: null, task_id: null, sequence: 0 })]);

      const projectId = randomUUID();
      const tying = await post(agent.key, { ...seedRequest, project_id: projectId, payload: { status: 'ready', summary: 'Schema is in project P' } });
      expect(tying.status).toBe(200);
      expect((await streamEvents(`thread-${threadId}`)).map((e) => e.data.projectId)).toEqual([null, projectId]);
      // The read model files the thread's earlier message under the project it was tied to.
      const byProject = await list(`project_id=${projectId}`);
      expect(byProject.body.messages.map((m: any) => [m.message_id, m.project_id, m.sequence])).toEqual([
        [first.body.message_id, projectId, 0],
        [tying.body.message_id, projectId, 1],
      ]);
      const viaGraphQL = await gql(system, ADMIN_TOKEN, `query($f: MessageFilter!) { messages(filter: $f) { messageId projectId } }`, { f: { projectId } });
      expect(viaGraphQL.data.messages).toEqual([
        { messageId: first.body.message_id, projectId },
        { messageId: tying.body.message_id, projectId },
      ]);

      // Tied once: the seed request goes on being taken (and filed under it); another project is refused.
      expect((await post(agent.key, seedRequest)).status).toBe(200);
      const elsewhere = await post(agent.key, { ...seedRequest, project_id: randomUUID() });
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.body.error.message).toMatch(new RegExp(`thread ${threadId} belongs to project ${projectId}; it cannot take a message`));
      expect((await streamEvents(`thread-${threadId}`)).map((e) => e.data.projectId)).toEqual([null, projectId, projectId]);
      expect((await list(`project_id=${projectId}`)).body.messages).toHaveLength(3);
    });

    it('ties a thread without a project to the project of the task a message names', async () => {
      const projectId = randomUUID();
      const taskId = await createTask(projectId);
      const threadId = randomUUID();
      const seedRequest = { thread_id: threadId, sender_id: agent.employeeId, message_type: 'task_update', payload: { status: 'blocked', summary: 'Need schema' } };
      expect((await post(agent.key, seedRequest)).status).toBe(200);
      expect((await post(agent.key, { ...seedRequest, task_id: taskId })).status).toBe(200);
      const byProject = await list(`project_id=${projectId}`);
      expect(byProject.body.messages.map((m: any) => [m.thread_id, m.project_id, m.task_id])).toEqual([
        [threadId, projectId, null],
        [threadId, projectId, taskId],
      ]);
    });

    it('lists messages with the seed query params, answering {"status":"ok","messages":[...]} in snake_case', async () => {
      const projectId = randomUUID();
      const threadId = await startThread(projectId);
      await post(agent.key, { thread_id: threadId, sender_id: agent.employeeId, message_type: 'task_update', payload: { status: 'blocked', summary: 'Need schema', nestedKey: { keepMe: 1 } } });
      const res = await list(`thread_id=${threadId}`);
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['messages', 'status']);
      expect(res.body.status).toBe('ok');
      expect(res.body.messages).toHaveLength(2);
      for (const message of res.body.messages) expect(Object.keys(message).sort()).toEqual(MESSAGE_KEYS);
      expect(res.body.messages[1]).toEqual({
        message_id: expect.stringMatching(UUID),
        thread_id: threadId,
        project_id: projectId,
        task_id: null,
        sender_id: agent.employeeId,
        message_type: 'task_update',
        // The payload is the sender's: its keys are not renamed.
        payload: { status: 'blocked', summary: 'Need schema', nestedKey: { keepMe: 1 } },
        posted_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        sequence: 1,
      });
    });

    it('creates a plan from the seed request and answers {"status":"ok","plan_id"}', async () => {
      const res = await rest(system, 'POST', '/api/coord/plans', ADMIN_TOKEN, { project_id: randomUUID(), title: 'Coordinator API Plan', body_markdown: '...' });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['plan_id', 'status']);
      expect(res.body).toEqual({ status: 'ok', plan_id: expect.stringMatching(UUID) });
      expect((await streamEvents(`plan-${res.body.plan_id}`)).map((e) => e.type)).toEqual(['PlanCreated']);
    });

    it('records a decision from the seed request and answers {"status":"ok","decision_id"}', async () => {
      const res = await rest(system, 'POST', '/api/coord/decisions', agent.key, { project_id: randomUUID(), title: 'Use Next.js', body_markdown: 'Why we chose it' });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['decision_id', 'status']);
      expect(res.body).toEqual({ status: 'ok', decision_id: expect.stringMatching(UUID) });
      const [recorded] = await streamEvents(`decision-${res.body.decision_id}`);
      expect(recorded).toMatchObject({ type: 'DecisionRecorded', data: { author: `agent:${agent.agentId}`, authorEmployeeId: agent.employeeId } });
    });
  });

  describe('queries', () => {
    const projectId = randomUUID();
    const otherProject = randomUUID();
    let threadA: string;
    let threadB: string;
    let taskId: string;
    let postedA: { message_id: string; posted_at: string }[];

    beforeAll(async () => {
      taskId = await createTask(projectId);
      threadA = await startThread(projectId);
      await post(agent.key, { thread_id: threadA, task_id: taskId, sender_id: agent.employeeId, message_type: 'task_update', payload: { n: 2 } });
      await post(agent.key, { thread_id: threadA, sender_id: agent.employeeId, message_type: 'note', payload: { n: 3 } });
      threadB = await startThread(projectId, agent, { task_id: taskId });
      await startThread(otherProject);
      postedA = (await list(`thread_id=${threadA}`)).body.messages;
    });

    it('lists a thread in posting order', async () => {
      expect(postedA.map((m: any) => m.payload)).toEqual([{ text: 'hello' }, { n: 2 }, { n: 3 }]);
      expect(postedA.map((m: any) => m.sequence)).toEqual([0, 1, 2]);
      const times = postedA.map((m) => Date.parse(m.posted_at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    });

    it('lists a project across its threads, and nothing of other projects', async () => {
      const res = await list(`project_id=${projectId}`);
      expect(res.body.messages.map((m: any) => m.thread_id)).toEqual([threadA, threadA, threadA, threadB]);
      expect(res.body.messages.every((m: any) => m.project_id === projectId)).toBe(true);
    });

    it('lists the messages about a task, alone or with other filters', async () => {
      const byTask = await list(`task_id=${taskId}`);
      expect(byTask.body.messages.map((m: any) => [m.thread_id, m.task_id])).toEqual([
        [threadA, taskId],
        [threadB, taskId],
      ]);
      const both = await list(`task_id=${taskId}&thread_id=${threadB}&project_id=${projectId}`);
      expect(both.body.messages.map((m: any) => m.thread_id)).toEqual([threadB]);
    });

    it('lists only messages strictly after since, and pages with limit', async () => {
      const after = await list(`thread_id=${threadA}&since=${encodeURIComponent(postedA[0].posted_at)}`);
      expect(after.body.messages.map((m: any) => m.message_id)).toEqual([postedA[1].message_id, postedA[2].message_id]);
      const last = await list(`thread_id=${threadA}&since=${encodeURIComponent(postedA[2].posted_at)}`);
      expect(last.body.messages).toEqual([]);
      const paged = await list(`thread_id=${threadA}&limit=2`);
      expect(paged.body.messages.map((m: any) => m.message_id)).toEqual([postedA[0].message_id, postedA[1].message_id]);
      const rest2 = await list(`thread_id=${threadA}&limit=2&since=${encodeURIComponent(paged.body.messages[1].posted_at)}`);
      expect(rest2.body.messages.map((m: any) => m.message_id)).toEqual([postedA[2].message_id]);
    });

    it('asks for at least one of thread, project and task, and refuses a malformed since', async () => {
      const none = await list(`since=${encodeURIComponent('2026-02-08T12:00:00Z')}`);
      expect(none.status).toBe(400);
      expect(none.body.error.message).toMatch(/needs at least one of: thread id, project id, task id/);
      const bad = await list(`thread_id=${threadA}&since=yesterday`);
      expect(bad.status).toBe(400);
      expect(bad.body.error.details).toEqual([{ path: 'since', message: expect.stringMatching(/ISO 8601 timestamp/) }]);
      const badLimit = await list(`thread_id=${threadA}&limit=0`);
      expect(badLimit.body.error.details).toEqual([{ path: 'limit', message: 'must be between 1 and 1000' }]);
    });

    it('reads the same through GraphQL', async () => {
      const res = await gql(system, agent.key, `query($f: MessageFilter!) { messages(filter: $f) { messageId threadId taskId payload sequence } }`, {
        f: { projectId, taskId },
      });
      expect(res.errors).toBeUndefined();
      expect(res.data.messages.map((m: any) => m.threadId)).toEqual([threadA, threadB]);
      const none = await gql(system, agent.key, `{ messages(filter: {}) { messageId } }`);
      expect(none.errors?.[0].extensions.code).toBe('VALIDATION_FAILED');
    });

    it('refuses a later message naming another project than the thread', async () => {
      const res = await post(agent.key, { thread_id: threadA, project_id: otherProject, sender_id: agent.employeeId, message_type: 'note', payload: {} });
      expect(res.status).toBe(409);
      expect(res.body.error).toMatchObject({ code: 'CONFLICT', message: expect.stringMatching(new RegExp(`thread ${threadA} belongs to project ${projectId}; it cannot take a message for project ${otherProject}`)) });
      expect(await streamEvents(`thread-${threadA}`)).toHaveLength(3);
    });

    it('refuses a task that does not exist or belongs to another project', async () => {
      const unknown = randomUUID();
      const missing = await post(agent.key, { thread_id: threadA, task_id: unknown, sender_id: agent.employeeId, message_type: 'note', payload: {} });
      expect(missing.status).toBe(404);
      expect(missing.body.error.message).toBe(`task ${unknown} does not exist`);
      const elsewhere = await post(agent.key, { thread_id: randomUUID(), project_id: otherProject, task_id: taskId, sender_id: agent.employeeId, message_type: 'note', payload: {} });
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.body.error.message).toMatch(new RegExp(`task ${taskId} belongs to project ${projectId}, not to project ${otherProject}`));
    });
  });

  describe('GraphQL subscription messagePosted', () => {
    it('pushes a posted message to a subscription on its thread, and not the messages of other threads', async () => {
      const projectId = randomUUID();
      const threadId = await startThread(projectId);
      const sub = subscribe(system, agent.key, `subscription($t: ID) { messagePosted(threadId: $t) { messageId threadId projectId senderId messageType payload sequence } }`, { t: threadId });
      await sub.connected;
      // graphql-ws has acknowledged the connection; give the subscribe message a moment to register.
      await new Promise((r) => setTimeout(r, 200));
      await startThread(projectId); // another thread of the same project: filtered out
      const res = await post(ADMIN_TOKEN, { thread_id: threadId, sender_id: agent.employeeId, message_type: 'task_update', payload: { status: 'blocked', summary: 'Need schema' } });
      const pushed = await sub.next();
      expect(pushed.data.messagePosted).toEqual({
        messageId: res.body.message_id,
        threadId,
        projectId,
        senderId: agent.employeeId,
        messageType: 'task_update',
        payload: { status: 'blocked', summary: 'Need schema' },
        sequence: 1,
      });
      await sub.close();
    });

    it('filters on project and task as well', async () => {
      const projectId = randomUUID();
      const taskId = await createTask(projectId);
      const sub = subscribe(system, ADMIN_TOKEN, `subscription($p: ID, $k: ID) { messagePosted(projectId: $p, taskId: $k) { threadId taskId payload } }`, { p: projectId, k: taskId });
      await sub.connected;
      await new Promise((r) => setTimeout(r, 200));
      const threadId = await startThread(projectId); // no task: filtered out
      await post(agent.key, { thread_id: threadId, task_id: taskId, sender_id: agent.employeeId, message_type: 'task_update', payload: { about: 'task' } });
      expect((await sub.next()).data.messagePosted).toEqual({ threadId, taskId, payload: { about: 'task' } });
      await sub.close();
    });
  });

  describe('plans and decisions', () => {
    it('keeps every revision of a plan in order, with its author and time', async () => {
      const projectId = randomUUID();
      const created = await gql(system, ADMIN_TOKEN, `mutation($i: CreatePlanInput!) { createPlan(input: $i) { ${PLAN_FIELDS} } }`, {
        i: { projectId, title: 'Coordinator API Plan', bodyMarkdown: 'v1' },
      });
      expect(created.errors).toBeUndefined();
      const plan = created.data.createPlan;
      expect(plan).toMatchObject({ projectId, title: 'Coordinator API Plan', bodyMarkdown: 'v1', revision: 1, createdBy: 'admin', updatedBy: 'admin' });

      const second = await gql(system, agent.key, `mutation { revisePlan(input: { planId: "${plan.planId}", bodyMarkdown: "v2", expectedRevision: 1 }) { revision updatedBy bodyMarkdown title } }`);
      expect(second.data.revisePlan).toEqual({ revision: 2, updatedBy: `agent:${agent.agentId}`, bodyMarkdown: 'v2', title: 'Coordinator API Plan' });
      const third = await rest(system, 'POST', `/api/coord/plans/${plan.planId}/revisions`, ADMIN_TOKEN, { title: 'Coordinator API Plan, revised' });
      expect(third.body).toEqual({ status: 'ok', plan_id: plan.planId, revision: 3 });

      const stale = await gql(system, agent.key, `mutation { revisePlan(input: { planId: "${plan.planId}", bodyMarkdown: "late", expectedRevision: 2 }) { revision } }`);
      expect(stale.errors?.[0]).toMatchObject({ extensions: { code: 'CONFLICT' }, message: expect.stringMatching(/is at revision 3, not 2/) });
      const unchanged = await gql(system, agent.key, `mutation { revisePlan(input: { planId: "${plan.planId}", bodyMarkdown: "v2" }) { revision } }`);
      expect(unchanged.data.revisePlan.revision).toBe(3);

      const read = await gql(system, agent.key, `{ plan(planId: "${plan.planId}") { ${PLAN_FIELDS} revisions { ${REVISION_FIELDS} } } }`);
      expect(read.errors).toBeUndefined();
      const { revisions } = read.data.plan;
      expect(revisions.map((r: any) => [r.revision, r.title, r.bodyMarkdown, r.author, r.authorEmployeeId])).toEqual([
        [1, 'Coordinator API Plan', 'v1', 'admin', null],
        [2, 'Coordinator API Plan', 'v2', `agent:${agent.agentId}`, agent.employeeId],
        [3, 'Coordinator API Plan, revised', 'v2', 'admin', null],
      ]);
      const times = revisions.map((r: any) => Date.parse(r.at));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(read.data.plan).toMatchObject({ revision: 3, title: 'Coordinator API Plan, revised', createdAt: revisions[0].at, updatedAt: revisions[2].at });

      const viaRest = await rest(system, 'GET', `/api/coord/plans/${plan.planId}`, agent.key);
      expect(viaRest.body.plan).toMatchObject({ plan_id: plan.planId, revision: 3, body_markdown: 'v2' });
      expect(viaRest.body.plan.revisions.map((r: any) => [r.revision, r.author_employee_id])).toEqual([
        [1, null],
        [2, agent.employeeId],
        [3, null],
      ]);
      expect((await streamEvents(`plan-${plan.planId}`)).map((e) => e.type)).toEqual(['PlanCreated', 'PlanRevised', 'PlanRevised']);
    });

    it('lists a project plans and decisions, oldest first, with their revisions on request', async () => {
      const projectId = randomUUID();
      const first = await rest(system, 'POST', '/api/coord/plans', ADMIN_TOKEN, { project_id: projectId, title: 'First', body_markdown: 'a' });
      const second = await rest(system, 'POST', '/api/coord/plans', agent.key, { project_id: projectId, title: 'Second', body_markdown: 'b' });
      await rest(system, 'POST', '/api/coord/plans', ADMIN_TOKEN, { project_id: randomUUID(), title: 'Elsewhere', body_markdown: 'c' });
      const listed = await gql(system, ADMIN_TOKEN, `{ plans(projectId: "${projectId}") { planId title revisions { revision author } } }`);
      expect(listed.data.plans).toEqual([
        { planId: first.body.plan_id, title: 'First', revisions: [{ revision: 1, author: 'admin' }] },
        { planId: second.body.plan_id, title: 'Second', revisions: [{ revision: 1, author: `agent:${agent.agentId}` }] },
      ]);
      const viaRest = await rest(system, 'GET', `/api/coord/plans?project_id=${projectId}`, agent.key);
      expect(viaRest.body.plans.map((p: any) => p.title)).toEqual(['First', 'Second']);

      const decision = await gql(system, agent.key, `mutation { recordDecision(input: { projectId: "${projectId}", title: "Use Next.js", bodyMarkdown: "Why we chose it" }) { decisionId revision createdBy } }`);
      const { decisionId } = decision.data.recordDecision;
      expect(decision.data.recordDecision).toEqual({ decisionId, revision: 1, createdBy: `agent:${agent.agentId}` });
      const revised = await gql(system, ADMIN_TOKEN, `mutation { reviseDecision(input: { decisionId: "${decisionId}", title: "Use Remix", bodyMarkdown: "Changed our mind" }) { revision title } }`);
      expect(revised.data.reviseDecision).toEqual({ revision: 2, title: 'Use Remix' });
      const decisions = await gql(system, agent.key, `{ decisions(projectId: "${projectId}") { decisionId title revisions { revision title author } } }`);
      expect(decisions.data.decisions).toEqual([
        {
          decisionId,
          title: 'Use Remix',
          revisions: [
            { revision: 1, title: 'Use Next.js', author: `agent:${agent.agentId}` },
            { revision: 2, title: 'Use Remix', author: 'admin' },
          ],
        },
      ]);
      const one = await rest(system, 'GET', `/api/coord/decisions/${decisionId}`, ADMIN_TOKEN);
      expect(one.body.decision).toMatchObject({ decision_id: decisionId, title: 'Use Remix', revisions: [{ revision: 1 }, { revision: 2 }] });
      const missing = await gql(system, ADMIN_TOKEN, `{ decision(decisionId: "${randomUUID()}") { title } }`);
      expect(missing.errors?.[0].extensions.code).toBe('NOT_FOUND');
    });
  });

  describe('who may write, and bad input: a clear error, nothing appended', () => {
    it('refuses an agent posting as someone else (403), and lets the admin post as anyone', async () => {
      const projectId = randomUUID();
      const threadId = randomUUID();
      const someoneElse = randomUUID();
      const res = await post(agent.key, { thread_id: threadId, project_id: projectId, sender_id: someoneElse, message_type: 'note', payload: {} });
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', message: `this API key belongs to employee ${agent.employeeId}; it may not post as sender ${someoneElse}` });
      expect(await streamEvents(`thread-${threadId}`)).toEqual([]);
      const asGql = await gql(system, agent.key, `mutation($i: PostMessageInput!) { postMessage(input: $i) { messageId } }`, {
        i: { threadId, projectId, senderId: someoneElse, messageType: 'note', payload: {} },
      });
      expect(asGql.errors?.[0].extensions.code).toBe('FORBIDDEN');

      const byAdmin = await post(ADMIN_TOKEN, { thread_id: threadId, project_id: projectId, sender_id: someoneElse, message_type: 'note', payload: {} });
      expect(byAdmin.status).toBe(200);
      expect((await streamEvents(`thread-${threadId}`)).map((e) => e.data.senderId)).toEqual([someoneElse]);
    });

    it('refuses a payload over 64 KiB, saying the bound, with nothing appended', async () => {
      const threadId = randomUUID();
      const res = await post(agent.key, { thread_id: threadId, project_id: randomUUID(), sender_id: agent.employeeId, message_type: 'note', payload: { blob: 'x'.repeat(70_000) } });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(res.body.error.message).toMatch(/payload: must serialise to at most 65536 bytes \(64 KiB\) of JSON, got 70011/);
      expect(await streamEvents(`thread-${threadId}`)).toEqual([]);
      const justFits = await post(agent.key, { thread_id: threadId, project_id: randomUUID(), sender_id: agent.employeeId, message_type: 'note', payload: { blob: 'x'.repeat(65_536 - 12) } });
      expect(justFits.status).toBe(200);
    });

    const cases: [string, string, (thread: string) => Record<string, unknown>, RegExp][] = [
      ['a message with an unknown field', '/api/coord/messages', (t) => ({ thread_id: t, project_id: randomUUID(), sender_id: agent.employeeId, message_type: 'note', payload: {}, colour: 'red' }), /colour: is not a known field/],
      ['a plan with an unknown field', '/api/coord/plans', () => ({ project_id: randomUUID(), title: 'x', body_markdown: 'y', priority: 'P1' }), /priority: is not a known field/],
      ['a decision with an unknown field', '/api/coord/decisions', () => ({ project_id: randomUUID(), title: 'x', body_markdown: 'y', rationale: 'z' }), /rationale: is not a known field/],
      ['a message type that is not a short code', '/api/coord/messages', (t) => ({ thread_id: t, project_id: randomUUID(), sender_id: randomUUID(), message_type: 'Task Update!', payload: {} }), /message_type: must be 1-64 characters/],
      ['a payload that is not an object', '/api/coord/messages', (t) => ({ thread_id: t, project_id: randomUUID(), sender_id: randomUUID(), message_type: 'note', payload: [1, 2] }), /payload: must be a JSON object/],
      ['a malformed thread id', '/api/coord/messages', () => ({ thread_id: 'thread-1', project_id: randomUUID(), sender_id: randomUUID(), message_type: 'note', payload: {} }), /thread_id: must be a UUID/],
      ['an empty plan title', '/api/coord/plans', () => ({ project_id: randomUUID(), title: '  ', body_markdown: 'y' }), /title: must not be empty/],
      ['a plan title over 300 characters', '/api/coord/plans', () => ({ project_id: randomUUID(), title: 't'.repeat(301), body_markdown: 'y' }), /title: must be at most 300 characters/],
      ['a decision body over 200 KiB', '/api/coord/decisions', () => ({ project_id: randomUUID(), title: 'x', body_markdown: 'b'.repeat(204_801) }), /body_markdown: must be at most 204800 bytes \(200 KiB\) of UTF-8, got 204801/],
    ];

    it.each(cases)('refuses %s, naming the field', async (_what, path, body, message) => {
      const before = Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${system.config.schemaPrefix}eventstore.events WHERE stream_id NOT LIKE 'agent-%'`))[0].n);
      const threadId = randomUUID();
      const res = await rest(system, 'POST', path, agent.key, body(threadId));
      expect(res.status).toBe(400);
      expect(res.body.status).toBe('error');
      expect(res.body.error.message).toMatch(message);
      expect(res.body.error.details).toHaveLength(1);
      const after = Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${system.config.schemaPrefix}eventstore.events WHERE stream_id NOT LIKE 'agent-%'`))[0].n);
      expect(after).toBe(before);
    });

    it('refuses unknown query params and unknown GraphQL input fields, naming them', async () => {
      const res = await list(`thread_id=${randomUUID()}&colour=red`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/colour: is not a known field/);
      const plans = await rest(system, 'GET', `/api/coord/plans?project_id=${randomUUID()}&owner=me`, ADMIN_TOKEN);
      expect(plans.body.error.message).toMatch(/owner: is not a known field/);
      const gqlUnknown = await gql(system, ADMIN_TOKEN, `mutation { createPlan(input: { projectId: "${randomUUID()}", title: "x", bodyMarkdown: "y", colour: "red" }) { planId } }`);
      expect(gqlUnknown.errors?.[0].message).toMatch(/colour/);
      const noChange = await rest(system, 'POST', `/api/coord/plans/${randomUUID()}/revisions`, ADMIN_TOKEN, {});
      expect(noChange.status).toBe(400);
      expect(noChange.body.error.message).toBe('a plan revision needs a new title, a new body or both');
      const unknownPlan = await rest(system, 'POST', `/api/coord/plans/${randomUUID()}/revisions`, ADMIN_TOKEN, { title: 'x' });
      expect(unknownPlan.status).toBe(404);
    });

    it('answers a retried post with the first message and appends it once', async () => {
      const projectId = randomUUID();
      const threadId = randomUUID();
      const key = randomUUID();
      const body = { thread_id: threadId, project_id: projectId, sender_id: agent.employeeId, message_type: 'note', payload: { once: true } };
      const first = await post(agent.key, body, { 'idempotency-key': key });
      const retry = await post(agent.key, body, { 'idempotency-key': key });
      expect(retry.body).toEqual(first.body);
      expect(await streamEvents(`thread-${threadId}`)).toHaveLength(1);
      const plan = { project_id: projectId, title: 'Once', body_markdown: 'x' };
      const p1 = await rest(system, 'POST', '/api/coord/plans', agent.key, plan, { 'idempotency-key': key });
      expect(p1.status).toBe(409); // the agent's key named a message already
      // Keys are per actor: the admin's same key names a command of its own.
      const p0 = await rest(system, 'POST', '/api/coord/plans', ADMIN_TOKEN, plan, { 'idempotency-key': key });
      expect(p0.status).toBe(200);
      const planKey = randomUUID();
      const p2 = await rest(system, 'POST', '/api/coord/plans', ADMIN_TOKEN, plan, { 'idempotency-key': planKey });
      const p3 = await rest(system, 'POST', '/api/coord/plans', ADMIN_TOKEN, plan, { 'idempotency-key': planKey });
      expect(p3.body).toEqual(p2.body);
      expect(await streamEvents(`plan-${p2.body.plan_id}`)).toHaveLength(1);
    });
  });

  describe('rebuild', () => {
    it('rebuilds messages, plans and decisions from event zero with identical rows', async () => {
      const s = `${system.config.schemaPrefix}coordinator`;
      const tables: [string, string][] = [
        ['messages', 'message_id'],
        ['plans', 'plan_id'],
        ['plan_revisions', 'plan_id, revision'],
        ['decisions', 'decision_id'],
        ['decision_revisions', 'decision_id, revision'],
      ];
      const snapshot = async () => {
        const out: Record<string, unknown[]> = {};
        for (const [table, order] of tables) out[table] = (await sql<{ row: unknown }>(`SELECT to_jsonb(t) AS row FROM ${s}.${table} t ORDER BY ${order}`)).map((r) => r.row);
        return out;
      };
      const caughtUp = async () => {
        for (const projector of system.coordinator.projectors) {
          if (!(await projector.isCaughtUp())) return undefined;
        }
        return true;
      };
      await eventually(caughtUp, 10_000, 'projections caught up');
      const before = await snapshot();
      for (const [table] of tables) expect(before[table].length).toBeGreaterThan(0);
      expect(before.messages.length).toBeGreaterThan(10);

      const rebuilt = await gql(system, ADMIN_TOKEN, 'mutation { rebuildProjections { projections { name eventsReplayed rows } } }');
      expect(rebuilt.errors).toBeUndefined();
      const reports = rebuilt.data.rebuildProjections.projections;
      expect(reports).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'coordinator.messages', rows: before.messages.length }),
          expect.objectContaining({ name: 'coordinator.plans', rows: before.plans.length + before.plan_revisions.length }),
          expect.objectContaining({ name: 'coordinator.decisions', rows: before.decisions.length + before.decision_revisions.length }),
        ]),
      );
      expect(await snapshot()).toEqual(before);
    });
  });
});
