import { randomUUID } from 'node:crypto';
import { Subjects } from '@autocoder/contracts';
import { describeWith } from '@autocoder/testing';
import WebSocket from 'ws';
import { countBusRequests, registerAgent, sleep, wsSession, type TestAgent } from './attack';
import { ADMIN_TOKEN, eventually, rest, seedRegistration, sql, startTestSystem, type TestSystem } from './harness';

const POST = 'mutation($i: PostMessageInput!) { postMessage(input: $i) { messageId } }';
const postInput = (agent: TestAgent, threadId = randomUUID()) => ({
  i: { threadId, projectId: randomUUID(), senderId: agent.employeeId, messageType: 'note', payload: { n: 1 } },
});

describeWith({ postgres: true }, 'agent keys on the websocket and under a flood', () => {
  let system: TestSystem;
  const threadEvents = async (threadId: string) =>
    sql(`SELECT type FROM ${system.config.schemaPrefix}eventstore.events WHERE stream_id = $1`, [`thread-${threadId}`]);

  beforeAll(async () => {
    system = await startTestSystem();
  });
  afterAll(async () => system?.close());

  it('closes the sockets of a rotated key at once: no operation, no subscription delivery after the rotation', async () => {
    const agent = await registerAgent(system);
    const ws = wsSession(system, agent.key);
    await ws.connected;
    expect((await ws.execute(POST, postInput(agent))).errors).toBeUndefined();
    const sub = ws.subscribe('subscription { agentUpdated { agentId name } }');
    await sleep(300);

    const rotated = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(agent.employeeId, randomUUID(), { name: 'ROTATED' }));
    expect(rotated.status).toBe(200);

    const threadId = randomUUID();
    const after = await ws.execute(POST, postInput(agent, threadId));
    expect(after.data?.postMessage).toBeUndefined();
    expect(await ws.closed()).toMatchObject({ code: 4403 });
    await sleep(500);
    expect(await threadEvents(threadId)).toHaveLength(0);
    expect(sub.received.filter((r) => r.data?.agentUpdated?.name === 'ROTATED')).toEqual([]);

    const fresh = wsSession(system, rotated.body.api_key);
    await fresh.connected;
    expect((await fresh.execute(POST, postInput(agent))).errors).toBeUndefined();
    await fresh.close();
  });

  it('closes the sockets of a key rotated behind this gateway\'s back, on the coordinator\'s notification', async () => {
    const agent = await registerAgent(system);
    const ws = wsSession(system, agent.key);
    await ws.connected;
    // Rotated straight on the bus, as another gateway instance would: this one learns of it only
    // from the agentUpdated notification (or, were that lost, from its sweep).
    await system.bus.request(Subjects.coordinator.registerAgent, {
      commandId: randomUUID(),
      correlationId: randomUUID(),
      actor: { kind: 'admin' },
      payload: { employeeId: agent.employeeId, name: 'ROTATED ELSEWHERE' },
    });
    const threadId = randomUUID();
    await eventually(async () => ((await ws.closed(200)) ? true : undefined), 15_000, 'socket of the rotated key closed');
    expect(ws.closeEvent).toMatchObject({ code: 4403 });
    expect((await ws.execute(POST, postInput(agent, threadId))).data?.postMessage).toBeUndefined();
    expect(await threadEvents(threadId)).toHaveLength(0);
  });

  it('closes a socket when its frames exceed the size limit, before reading them', async () => {
    const before = process.memoryUsage();
    const frame = Buffer.alloc(50 * 1024 * 1024, 'a');
    Buffer.from('{"type":"connection_init","payload":{"Authorization":"Bearer bad","pad":"').copy(frame);
    Buffer.from('"}}').copy(frame, frame.length - 3);
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) {
      const socket = new WebSocket(system.url.replace('http', 'ws') + '/graphql', 'graphql-transport-ws');
      await new Promise((resolve, reject) => (socket.once('open', resolve), socket.once('error', reject)));
      const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
      socket.send(frame);
      codes.push(await closed);
    }
    expect(codes).toEqual([1009, 1009, 1009, 1009]);
    const after = process.memoryUsage();
    // The frame itself (50 MiB, outside the heap) is the test's; the server must not have copied it.
    expect(after.heapUsed - before.heapUsed).toBeLessThan(60 * 1024 * 1024);
  });

  it('authenticates cheaply: malformed keys cost nothing, a forged key one request, a good key one request', async () => {
    const good = await registerAgent(system);
    const forged = Array.from({ length: 5 }, () => `ak_${randomUUID().replace(/-/g, '')}_${'A'.repeat(43)}`);
    const malformed = Array.from({ length: 20 }, (_, i) => `ak_${'x'.repeat(i + 1)}`);
    const bus = countBusRequests(system);
    try {
      const answers = await Promise.all([
        ...forged.flatMap((key) => Array.from({ length: 20 }, () => rest(system, 'GET', '/api/coord/agents?limit=1', key))),
        ...malformed.map((key) => rest(system, 'GET', '/api/coord/agents?limit=1', key)),
        ...Array.from({ length: 20 }, () => rest(system, 'GET', '/api/coord/agents?limit=1', good.key)),
      ]);
      expect(answers.slice(0, 120).map((a) => a.status)).toEqual(Array(120).fill(401));
      expect(answers.slice(120).map((a) => a.status)).toEqual(Array(20).fill(200));
      expect(bus.of(Subjects.coordinator.authenticateAgent)).toBeLessThanOrEqual(forged.length + 1);

      // A rotated key fails at once, though its verdict was cached a moment ago.
      const rotated = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(good.employeeId, randomUUID()));
      expect((await rest(system, 'GET', '/api/coord/agents?limit=1', good.key)).status).toBe(401);
      expect((await rest(system, 'GET', '/api/coord/agents?limit=1', rotated.body.api_key)).status).toBe(200);
    } finally {
      bus.restore();
    }
  });
});

describeWith({ postgres: true }, 'sockets of an agent marked offline', () => {
  let system: TestSystem;
  beforeAll(async () => {
    system = await startTestSystem({ agentOfflineAfterSec: 1 }, { offlineSweepMs: 100 });
  });
  afterAll(async () => system?.close());

  it('are closed when the coordinator marks the agent offline', async () => {
    const agent = await registerAgent(system);
    const ws = wsSession(system, agent.key);
    await ws.connected;
    await eventually(
      async () => ((await rest(system, 'GET', '/api/coord/agents', ADMIN_TOKEN)).body.agents.find((a: any) => a.agent_id === agent.agentId)?.status === 'offline' ? true : undefined),
      10_000,
      'agent offline',
    );
    expect(await ws.closed(5000)).toMatchObject({ code: 4403 });
  });
});
