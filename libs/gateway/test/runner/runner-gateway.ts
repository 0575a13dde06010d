import 'reflect-metadata';
import type { INestApplication } from '@nestjs/common';
import { InProcessBroker } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { ScriptedRunner, scriptedAgent, type ScriptedAgent } from '@autocoder/testing';
import { createGatewayApp } from '../../src';

export const ADMIN = 'adm_runner_gateway_test_token';

export interface RunnerGateway {
  url: string;
  runner: ScriptedRunner;
  agent: ScriptedAgent;
  app: INestApplication;
  close(): Promise<void>;
}

/** The gateway on the in-process bus, with the runner's replies scripted by a test double. */
export async function startRunnerGateway(): Promise<RunnerGateway> {
  const broker = new InProcessBroker();
  const agent = scriptedAgent();
  const runner = new ScriptedRunner(broker, [agent]);
  const app = await createGatewayApp({ bus: broker, logger: createLogger('gateway', 'silent'), adminToken: ADMIN });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    runner,
    agent,
    app,
    async close() {
      await app.close();
      await broker.close();
    },
  };
}

export async function rest(gw: RunnerGateway, method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (NDJSON, SSE): the text as it is
  }
  return { status: res.status, body: parsed, text, headers: res.headers };
}

export async function gql(gw: RunnerGateway, token: string | null, query: string, variables?: Record<string, unknown>) {
  const res = await rest(gw, 'POST', '/graphql', token, { query, variables });
  return { status: res.status, data: res.body?.data, errors: res.body?.errors as any[] | undefined };
}

export interface SseEvent {
  id?: string;
  event?: string;
  data?: string;
}

/**
 * Reads a server-sent event stream: every event until the server ends it, or until `stopWhen` says
 * so (then the client disconnects). `onOpen` runs once the response headers are in.
 */
export async function readSse(
  gw: RunnerGateway,
  path: string,
  token: string,
  options: { headers?: Record<string, string>; stopWhen?: (events: SseEvent[]) => boolean; onOpen?: () => void; timeoutMs?: number } = {},
): Promise<{ status: number; events: SseEvent[]; comments: string[]; ended: boolean; contentType: string | null }> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), options.timeoutMs ?? 10_000);
  const res = await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${token}`, ...options.headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  let ended = false;
  if (res.status !== 200 || !res.body) {
    clearTimeout(timer);
    await res.text();
    return { status: res.status, events, comments, ended: true, contentType: res.headers.get('content-type') };
  }
  options.onOpen?.();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event: SseEvent = {};
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) comments.push(line.slice(1).trim());
          else if (line.startsWith('id: ')) event.id = line.slice(4);
          else if (line.startsWith('event: ')) event.event = line.slice(7);
          else if (line.startsWith('data: ')) event.data = line.slice(6);
        }
        if (event.event || event.data) events.push(event);
      }
      if (options.stopWhen?.(events)) {
        abort.abort();
        break;
      }
    }
    ended = !abort.signal.aborted;
  } catch (error) {
    if (!abort.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return { status: res.status, events, comments, ended, contentType: res.headers.get('content-type') };
}

export const eventually = async <T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 5000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
};
