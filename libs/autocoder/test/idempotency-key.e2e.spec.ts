import { randomUUID } from 'node:crypto';
import { describeWith } from '@autocoder/testing';
import { registerAgent, type TestAgent } from './attack';
import { ADMIN_TOKEN, gql, rest, sql, startTestSystem, type TestSystem } from './harness';

/** A client's Idempotency-Key (or GraphQL commandId) is never ignored, and never meets another actor's. */
describeWith({ postgres: true }, 'idempotency keys of any shape, per actor', () => {
  let system: TestSystem;
  let alice: TestAgent;
  let bob: TestAgent;
  const threadEvents = async (threadId: string) =>
    sql(`SELECT type FROM ${system.config.schemaPrefix}eventstore.events WHERE stream_id = $1`, [`thread-${threadId}`]);
  const message = (agent: TestAgent, threadId: string, note: string) => ({
    thread_id: threadId,
    project_id: randomUUID(),
    sender_id: agent.employeeId,
    message_type: 'note',
    payload: { note },
  });

  beforeAll(async () => {
    system = await startTestSystem();
    alice = await registerAgent(system);
    bob = await registerAgent(system);
  });
  afterAll(async () => system?.close());

  it('answers a retry under a non-UUID key with the first answer and appends once', async () => {
    const threadId = randomUUID();
    const body = message(alice, threadId, 'once');
    const key = `retry-${randomUUID().slice(0, 8)}`;
    const first = await rest(system, 'POST', '/api/coord/messages', alice.key, body, { 'idempotency-key': key });
    const retry = await rest(system, 'POST', '/api/coord/messages', alice.key, body, { 'idempotency-key': key });
    expect(first.status).toBe(200);
    expect(retry.body).toEqual(first.body);
    expect(await threadEvents(threadId)).toHaveLength(1);
  });

  it('refuses a key it cannot honour with a 400 naming the header, and stores nothing', async () => {
    for (const key of ['x'.repeat(300), 'tab\there']) {
      const threadId = randomUUID();
      const res = await rest(system, 'POST', '/api/coord/messages', alice.key, message(alice, threadId, 'bad key'), { 'idempotency-key': key });
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ path: 'Idempotency-Key', message: expect.any(String) }] });
      expect(res.body.error.message).toMatch(/Idempotency-Key/);
      expect(await threadEvents(threadId)).toHaveLength(0);
    }
  });

  it('keeps two actors apart: the same key names a different command for each', async () => {
    const key = randomUUID();
    const aliceThread = randomUUID();
    const bobThread = randomUUID();
    const a = await rest(system, 'POST', '/api/coord/messages', alice.key, message(alice, aliceThread, 'from alice'), { 'idempotency-key': key });
    const b = await rest(system, 'POST', '/api/coord/messages', bob.key, message(bob, bobThread, 'from bob'), { 'idempotency-key': key });
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.message_id).not.toBe(a.body.message_id);
    expect(await threadEvents(aliceThread)).toHaveLength(1);
    expect(await threadEvents(bobThread)).toHaveLength(1);
    // The same actor reusing its key for a different command is still refused.
    const reused = await rest(system, 'POST', '/api/coord/messages', alice.key, message(alice, randomUUID(), 'other'), { 'idempotency-key': key });
    expect(reused.status).toBe(409);
    expect(reused.body.error.code).toBe('COMMAND_ID_REUSED');
  });

  it('treats a GraphQL commandId the same way', async () => {
    const threadId = randomUUID();
    const mutation = `mutation($i: PostMessageInput!, $c: ID) { postMessage(input: $i, commandId: $c) { messageId } }`;
    const input = { threadId, projectId: randomUUID(), senderId: alice.employeeId, messageType: 'note', payload: { via: 'graphql' } };
    const first = await gql(system, alice.key, mutation, { i: input, c: 'my-command-1' });
    const retry = await gql(system, alice.key, mutation, { i: input, c: 'my-command-1' });
    expect(first.errors).toBeUndefined();
    expect(retry.data).toEqual(first.data);
    expect(await threadEvents(threadId)).toHaveLength(1);
    const bad = await gql(system, ADMIN_TOKEN, mutation, { i: { ...input, threadId: randomUUID() }, c: 'x'.repeat(300) });
    expect(bad.errors?.[0]).toMatchObject({ extensions: { code: 'VALIDATION_FAILED', details: [{ path: 'commandId' }] } });
  });
});
