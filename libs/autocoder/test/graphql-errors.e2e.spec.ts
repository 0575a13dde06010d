import { randomUUID } from 'node:crypto';
import { Subjects } from '@autocoder/contracts';
import { GATEWAY_LOGGER } from '@autocoder/gateway';
import type { MessageBus } from '@autocoder/messaging';
import { describeWith } from '@autocoder/testing';
import pino from 'pino';
import { wsSession } from './attack';
import { ADMIN_TOKEN, rest, startTestSystem, type TestSystem } from './harness';

const SERVER_PATHS = /\/work\/|node_modules|\.ts:\d+|\.js:\d+|stacktrace/;

/** Every line the gateway logs while the test runs, parsed. */
function captureGatewayLog(system: TestSystem) {
  const logger = system.app.get(GATEWAY_LOGGER) as pino.Logger;
  const stream = (logger as any)[pino.symbols.streamSym] as { write(line: string): boolean };
  const lines: any[] = [];
  const spy = jest.spyOn(stream, 'write').mockImplementation((line: string) => {
    lines.push(JSON.parse(line));
    return true;
  });
  return { lines, restore: () => spy.mockRestore() };
}

/** Makes the gateway's call for `subject` fail the way a bug would: a plain Error, not one of ours. */
function breakSubject(system: TestSystem, subject: string) {
  const bus = system.bus as MessageBus;
  const spies = (['request', 'requestJson'] as const).map((method) => {
    const original = (bus[method] as MessageBus['request']).bind(bus);
    return jest.spyOn(bus as Record<typeof method, MessageBus['request']>, method).mockImplementation((s, envelope, timeoutMs) =>
      s === subject ? Promise.reject(new TypeError('boom in /work/secret/path/handler.ts:42')) : original(s, envelope, timeoutMs),
    );
  });
  return () => spies.forEach((spy) => spy.mockRestore());
}

async function graphqlHttp(system: TestSystem, query: string) {
  const res = await fetch(`${system.url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  return { status: res.status, correlationId: res.headers.get('x-correlation-id'), text: await res.text() };
}

describeWith({ postgres: true }, 'GraphQL errors: one shape on HTTP and websocket, no server internals', () => {
  let system: TestSystem;
  const nodeEnv = process.env.NODE_ENV;

  beforeAll(async () => {
    // As deployed: neither development (stack traces allowed) nor test (where Apollo hides them anyway).
    process.env.NODE_ENV = 'staging';
    system = await startTestSystem();
  });
  afterAll(async () => {
    process.env.NODE_ENV = nodeEnv;
    await system?.close();
  });

  it('shows no stack trace or server path in any error outside development', async () => {
    for (const query of ['{ agents(filter: { status: BOGUS }) { agentId } }', '{ nope }', '{ agents {', `{ agent(agentId: "${randomUUID()}") { name } }`]) {
      const res = await graphqlHttp(system, query);
      expect(JSON.parse(res.text).errors.length).toBeGreaterThan(0);
      expect(res.text).not.toMatch(SERVER_PATHS);
    }
  });

  it('gives the same codes over the websocket as over HTTP', async () => {
    const ws = wsSession(system, ADMIN_TOKEN);
    await ws.connected;
    const cases: [string, string][] = [
      [`{ agent(agentId: "${randomUUID()}") { name } }`, 'NOT_FOUND'],
      ['{ agents(filter: { colour: 1 }) { agentId } }', 'GRAPHQL_VALIDATION_FAILED'],
      ['{ agents {', 'GRAPHQL_PARSE_FAILED'],
      ['query($f: AgentFilter) { agents(filter: $f) { agentId } }', 'BAD_USER_INPUT'],
    ];
    for (const [query, code] of cases) {
      const variables = query.startsWith('query($f') ? { f: { status: 'BOGUS' } } : undefined;
      const http = JSON.parse((await fetch(`${system.url}/graphql`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ query, variables }),
      }).then((r) => r.text())));
      const overWs = await ws.execute(query, variables);
      expect([query, http.errors[0].extensions.code]).toEqual([query, code]);
      expect([query, overWs.errors?.[0]?.extensions?.code]).toEqual([query, code]);
      expect(JSON.stringify(overWs.errors)).not.toMatch(SERVER_PATHS);
    }
    await ws.close();
  });

  it('logs an internal error under the correlation id its message names, over HTTP and the websocket', async () => {
    const log = captureGatewayLog(system);
    const restore = breakSubject(system, Subjects.coordinator.listAgents);
    try {
      const http = await graphqlHttp(system, '{ agents { agentId } }');
      const error = JSON.parse(http.text).errors[0];
      expect(error).toMatchObject({ extensions: { code: 'INTERNAL' }, message: `internal error; the gateway log has it under correlation id ${http.correlationId}` });
      expect(http.text).not.toMatch(SERVER_PATHS);
      expect(log.lines.find((l) => l.correlationId === http.correlationId && l.level === 'error')?.err?.message).toMatch(/boom/);

      const ws = wsSession(system, ADMIN_TOKEN);
      await ws.connected;
      const overWs = await ws.execute('{ agents { agentId } }');
      await ws.close();
      expect(overWs.errors?.[0]).toMatchObject({ extensions: { code: 'INTERNAL' } });
      const named = /correlation id (\S+)$/.exec(overWs.errors![0].message)?.[1];
      expect(named).toBeDefined();
      expect(log.lines.find((l) => l.correlationId === named && l.level === 'error')?.err?.message).toMatch(/boom/);

      const viaRest = await rest(system, 'GET', '/api/coord/agents', ADMIN_TOKEN);
      expect(viaRest.status).toBe(500);
      const restId = viaRest.headers.get('x-correlation-id');
      expect(viaRest.body.error).toEqual({ code: 'INTERNAL', message: `internal error; the gateway log has it under correlation id ${restId}` });
      expect(log.lines.find((l) => l.correlationId === restId && l.level === 'error')?.err?.message).toMatch(/boom/);
    } finally {
      restore();
      log.restore();
    }
  });
});
