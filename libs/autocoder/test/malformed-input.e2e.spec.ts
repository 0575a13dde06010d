import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describeWith } from '@autocoder/testing';
import { rawRequest, registerAgent, type TestAgent } from './attack';
import { ADMIN_TOKEN, gql, rest, seedRegistration, sql, startTestSystem, type TestSystem } from './harness';

const nested = (depth: number): unknown => {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
};
/** JSON text with `value` at the "__DEEP__" marker nested `depth` deep: too deep for JSON.stringify itself. */
const withDeep = (value: unknown, depth: number) => JSON.stringify(value).replace('"__DEEP__"', `${'{"a":'.repeat(depth)}"bottom"${'}'.repeat(depth)}`);

/** Malformed text and bodies are refused at the edge with a 400/415 naming the problem; nothing is stored. */
describeWith({ postgres: true }, 'malformed input never reaches Postgres', () => {
  let system: TestSystem;
  let agent: TestAgent;
  const eventCount = async () => Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${system.config.schemaPrefix}eventstore.events`))[0].n);
  const message = (payload: unknown, overrides: Record<string, unknown> = {}) => ({
    thread_id: randomUUID(),
    project_id: randomUUID(),
    sender_id: agent.employeeId,
    message_type: 'note',
    payload,
    ...overrides,
  });

  beforeAll(async () => {
    system = await startTestSystem();
    agent = await registerAgent(system);
  });
  afterAll(async () => system?.close());

  const refusals: [string, () => [string, string, unknown], string][] = [
    ['a NUL in a JSON payload value', () => ['/api/coord/messages', 'agent', message({ note: 'a\u0000b' })], 'payload.note'],
    ['a NUL in a JSON payload key', () => ['/api/coord/messages', 'agent', message({ 'bad\u0000key': 1 })], 'payload'],
    ['a lone surrogate in a JSON payload', () => ['/api/coord/messages', 'agent', message({ note: 'x\ud800y' })], 'payload.note'],
    ['a NUL in a plan title', () => ['/api/coord/plans', 'admin', { project_id: randomUUID(), title: 'T\u0000', body_markdown: 'x' }], 'title'],
    ['a lone surrogate in a plan body', () => ['/api/coord/plans', 'admin', { project_id: randomUUID(), title: 'T', body_markdown: '\udc00' }], 'body_markdown'],
    ['a NUL in a task description', () => ['/api/coord/tasks', 'admin', {
      project_id: randomUUID(), title: 'T', description: 'd\u0000', required_specialization_code: 'planning', created_by: randomUUID(),
    }], 'description'],
    ['a NUL in agent capabilities', () => ['/api/coord/agents/register', 'admin', seedRegistration(randomUUID(), randomUUID(), { capabilities: { x: ['\u0000'] } })], 'capabilities.x.0'],
    ['JSON nested 5,000 deep in a payload', () => ['/api/coord/messages', 'agent', withDeep(message('__DEEP__'), 5000)], 'payload'],
    ['JSON nested 100 deep in capabilities', () => ['/api/coord/agents/register', 'admin', seedRegistration(randomUUID(), randomUUID(), { capabilities: nested(100) })], 'capabilities'],
  ];

  it.each(refusals)('refuses %s with a 400 naming the field', async (_what, build, field) => {
    const [path, who, body] = build();
    const before = await eventCount();
    const res = await rest(system, 'POST', path, who === 'agent' ? agent.key : ADMIN_TOKEN, body);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details[0].path.startsWith(field)).toBe(true);
    expect(res.body.error.message).toMatch(new RegExp(field.replace(/\./g, '\\.')));
    expect(await eventCount()).toBe(before);
  });

  it('refuses dates outside 1970..9999 with a 400 naming the parameter', async () => {
    for (const since of ['0000-01-01T00:00:00Z', '1969-12-31T23:59:59Z']) {
      const res = await rest(system, 'GET', `/api/coord/messages?project_id=${randomUUID()}&since=${since}`, ADMIN_TOKEN);
      expect(res.status).toBe(400);
      expect(res.body.error.details).toEqual([{ path: 'since', message: expect.stringMatching(/1970/) }]);
    }
    expect((await rest(system, 'GET', `/api/coord/messages?project_id=${randomUUID()}&since=2026-01-01T00:00:00Z`, ADMIN_TOKEN)).status).toBe(200);
  });

  it('refuses the same over GraphQL, naming the field', async () => {
    const mutation = 'mutation($i: PostMessageInput!) { postMessage(input: $i) { messageId } }';
    const input = (payload: unknown) => ({ threadId: randomUUID(), projectId: randomUUID(), senderId: agent.employeeId, messageType: 'note', payload });
    const before = await eventCount();
    const nul = await gql(system, agent.key, mutation, { i: input({ note: '\u0000' }) });
    expect(nul.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION_FAILED', details: [{ path: 'payload.note' }] } });
    const deepBody = withDeep({ query: mutation, variables: { i: input('__DEEP__') } }, 5000);
    const deep = (await rawRequest(system, 'POST', '/graphql', { authorization: `Bearer ${agent.key}`, 'content-type': 'application/json' }, deepBody)).body;
    expect(deep.errors?.[0].extensions.code).toBe('VALIDATION_FAILED');
    expect(deep.errors?.[0].extensions.details[0].path).toMatch(/^payload/);
    const title = await gql(system, ADMIN_TOKEN, `mutation { createPlan(input: { projectId: "${randomUUID()}", title: "a\\u0000b", bodyMarkdown: "x" }) { planId } }`);
    expect(title.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION_FAILED', details: [{ path: 'title' }] } });
    expect(await eventCount()).toBe(before);
  });

  describe('bodies that are not what they claim', () => {
    const json = () => JSON.stringify(message({ n: 1 }));
    const post = (headers: Record<string, string>, body: string | Uint8Array, path = '/api/coord/messages') =>
      rawRequest(system, 'POST', path, { authorization: `Bearer ${agent.key}`, ...headers }, body);

    it('answers an unknown charset or content encoding with 415, a broken encoding with 400', async () => {
      const before = await eventCount();
      const charset = await post({ 'content-type': 'application/json; charset=klingon' }, json());
      expect([charset.status, charset.body?.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const encoding = await post({ 'content-type': 'application/json', 'content-encoding': 'x-klingon' }, json());
      expect([encoding.status, encoding.body?.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const broken = await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, 'not gzip at all');
      expect([broken.status, broken.body?.error?.code]).toEqual([400, 'VALIDATION_FAILED']);
      const graphql = await post({ 'content-type': 'application/json; charset=klingon' }, JSON.stringify({ query: '{ agents { agentId } }' }), '/graphql');
      expect([graphql.status, graphql.body?.error?.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);
      const gzip = await post({ 'content-type': 'application/json', 'content-encoding': 'gzip' }, gzipSync(json()));
      expect(gzip.status).toBe(200);
      expect(await eventCount()).toBe(before + 1);
    });

    it('refuses a body that is not JSON, or not a JSON object, instead of running the command without it', async () => {
      const task = await rest(system, 'POST', '/api/coord/tasks', ADMIN_TOKEN, {
        project_id: randomUUID(), title: 'Hold me', description: '', required_specialization_code: 'planning', created_by: randomUUID(),
      });
      const taskId = task.body.task_id;
      expect((await rest(system, 'POST', `/api/coord/tasks/${taskId}/claim`, agent.key, { employee_id: agent.employeeId })).status).toBe(200);
      const release = JSON.stringify({ employee_id: agent.employeeId, reason: 'done for today' });
      const path = `/api/coord/tasks/${taskId}/release`;
      const cases: [Record<string, string>, string, number][] = [
        [{ 'content-type': 'text/plain' }, release, 415],
        [{ 'content-type': 'application/x-www-form-urlencoded' }, 'employee_id=x', 415],
        [{}, release, 415],
        [{ 'content-type': 'application/json' }, '[1, 2]', 400],
        [{ 'content-type': 'application/json' }, '{"employee_id": ', 400],
      ];
      for (const [headers, body, status] of cases) {
        const res = await post(headers, body, path);
        expect([headers, res.status]).toEqual([headers, status]);
      }
      expect((await rest(system, 'GET', `/api/coord/tasks/${taskId}`, ADMIN_TOKEN)).body.task.status).toBe('claimed');
    });
  });
});
