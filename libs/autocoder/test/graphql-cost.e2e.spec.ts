import { randomUUID } from 'node:crypto';
import { Subjects } from '@autocoder/contracts';
import { describeWith } from '@autocoder/testing';
import { countBusRequests, registerAgent, wsSession, type TestAgent } from './attack';
import { ADMIN_TOKEN, gql, rest, startTestSystem, type TestSystem } from './harness';

const aliases = (n: number, field = 'agents { agentId }') => `{ ${Array.from({ length: n }, (_, i) => `a${i}: ${field}`).join(' ')} }`;

/** Times one call, never failing on slowness itself: a refusal to answer within `capMs` is reported as such. */
async function timed<T>(fn: (signal: AbortSignal) => Promise<T>, capMs = 20_000): Promise<{ ms: number; value?: T; failed?: unknown }> {
  const started = Date.now();
  try {
    return { ms: Date.now() - started, value: await fn(AbortSignal.timeout(capMs)) };
  } catch (failed) {
    return { ms: Date.now() - started, failed };
  }
}

describeWith({ postgres: true }, 'the cost of one GraphQL document is bounded before it runs', () => {
  let system: TestSystem;
  let agent: TestAgent;

  beforeAll(async () => {
    system = await startTestSystem();
    agent = await registerAgent(system);
  });
  afterAll(async () => system?.close());

  it('refuses 1,000 aliases of agents with a clear error before any service call, over HTTP and the websocket', async () => {
    const bus = countBusRequests(system);
    try {
      const res = await gql(system, agent.key, aliases(1000));
      expect(res.status).toBe(400);
      expect(res.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' }, message: expect.stringMatching(/contains more tha[nt] 2000 tokens/) });
      const ws = wsSession(system, agent.key);
      await ws.connected;
      const overWs = await ws.execute(aliases(1000));
      expect(overWs.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
      await ws.close();
      expect(bus.of(Subjects.coordinator.listAgents)).toBe(0);
    } finally {
      bus.restore();
    }
  });

  it('refuses too many aliases, too deep a document and too many directives, naming the limit', async () => {
    const bus = countBusRequests(system);
    try {
      const many = await gql(system, agent.key, aliases(16));
      expect(many.status).toBe(400);
      expect(many.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' }, message: expect.stringMatching(/Aliases limit of 15 exceeded, found 16/) });
      const ofType = (depth: number): string => (depth === 0 ? 'name' : `ofType { ${ofType(depth - 1)} }`);
      const deep = await gql(system, agent.key, `{ __type(name: "Agent") { fields { type { ${ofType(10)} } } } }`);
      expect(deep.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' }, message: expect.stringMatching(/depth limit of 10 exceeded/i) });
      const directives = await gql(system, agent.key, `{ agents { agentId ${'@include(if: true) '.repeat(21)} } }`);
      expect(directives.errors?.[0].message).toMatch(/Directives limit of 20 exceeded/);
      expect(bus.of(Subjects.coordinator.listAgents)).toBe(0);
      // Ordinary documents still run, introspection included.
      const fine = await gql(system, agent.key, aliases(15));
      expect(fine.errors).toBeUndefined();
      expect(Object.keys(fine.data)).toHaveLength(15);
    } finally {
      bus.restore();
    }
  });

  it('estimates the service calls of list fields before running, and caps the real ones while running', async () => {
    const projectId = randomUUID();
    for (let i = 0; i < 12; i++) {
      expect((await rest(system, 'POST', '/api/coord/plans', ADMIN_TOKEN, { project_id: projectId, title: `Plan ${i}`, body_markdown: 'x' })).status).toBe(200);
    }
    const withRevisions = `plans(projectId: "${projectId}") { planId revisions { revision } }`;
    const bus = countBusRequests(system);
    try {
      // The cost model: 15 x (1 list + 100 assumed plans x 1 revisions call) = 1515 > 1000, refused unrun.
      const estimated = await gql(system, ADMIN_TOKEN, aliases(15, withRevisions));
      expect(estimated.status).toBe(400);
      expect(estimated.errors?.[0]).toMatchObject({ extensions: { code: 'GRAPHQL_VALIDATION_FAILED' }, message: expect.stringMatching(/up to 1515 service calls/) });
      const ws = wsSession(system, ADMIN_TOKEN);
      await ws.connected;
      expect((await ws.execute(aliases(15, withRevisions))).errors?.[0].message).toMatch(/up to 1515 service calls/);
      await ws.close();
      expect(bus.total()).toBe(0);

      // Within the estimate (9 x 101) but 9 x (1 + 12) = 117 real calls: the budget of 100 stops it.
      const real = await gql(system, ADMIN_TOKEN, aliases(9, withRevisions));
      expect(real.errors?.some((e: any) => e.extensions.code === 'PAYLOAD_TOO_LARGE' && /more than 100 calls/.test(e.message))).toBe(true);
      expect(bus.total()).toBeLessThanOrEqual(100);
    } finally {
      bus.restore();
    }
    // One alias of the same is well within both.
    const one = await gql(system, ADMIN_TOKEN, `{ ${withRevisions} }`);
    expect(one.errors).toBeUndefined();
    expect(one.data.plans).toHaveLength(12);
  });

  it('refuses a 35,000-alias document (under 1 MiB) without stalling /health', async () => {
    const document = aliases(35_000);
    expect(Buffer.byteLength(JSON.stringify({ query: document }))).toBeLessThan(1024 * 1024);
    const abusive = timed((signal) => fetch(`${system.url}/graphql`, {
      method: 'POST',
      headers: { authorization: `Bearer ${agent.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ query: document }),
      signal,
    }).then((r) => r.status));
    await new Promise((r) => setTimeout(r, 20));
    const health = await timed((signal) => fetch(`${system.url}/health`, { signal }).then((r) => r.status));
    expect(health.value).toBe(200);
    expect(health.ms).toBeLessThan(5000);
    expect((await abusive).value).toBe(400);
  });

  it('keeps /health and REST answering while one client hammers with abusive documents', async () => {
    const bus = countBusRequests(system);
    const document = JSON.stringify({ query: aliases(1000) });
    let stop = false;
    const statuses: number[] = [];
    const hammer = async () => {
      for (let i = 0; i < 40 && !stop; i++) {
        const res = await fetch(`${system.url}/graphql`, {
          method: 'POST',
          headers: { authorization: `Bearer ${agent.key}`, 'content-type': 'application/json' },
          body: document,
          signal: AbortSignal.timeout(30_000),
        }).catch(() => null);
        statuses.push(res?.status ?? 0);
        await res?.text();
      }
    };
    const hammering = Promise.all(Array.from({ length: 8 }, hammer));
    try {
      const probes: { health: number; rest: number; ms: number }[] = [];
      for (let i = 0; i < 5; i++) {
        const started = Date.now();
        const [health, listed] = await Promise.all([
          fetch(`${system.url}/health`, { signal: AbortSignal.timeout(20_000) }).then((r) => r.status).catch(() => 0),
          rest(system, 'GET', '/api/coord/agents?limit=1', ADMIN_TOKEN).then((r) => r.status).catch(() => 0),
        ]);
        probes.push({ health, rest: listed, ms: Date.now() - started });
      }
      expect(probes.map((p) => [p.health, p.rest])).toEqual(Array(5).fill([200, 200]));
      expect(Math.max(...probes.map((p) => p.ms))).toBeLessThan(5000);
    } finally {
      stop = true;
      await hammering;
      bus.restore();
    }
    expect(statuses.length).toBeGreaterThan(0);
    expect(new Set(statuses)).toEqual(new Set([400]));
    expect(bus.of(Subjects.coordinator.listAgents)).toBe(5); // the probes' own
  });
});
