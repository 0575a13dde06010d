import type { MessageBus } from '@autocoder/messaging';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ADMIN_TOKEN, rest, seedRegistration, type TestSystem } from './harness';

/** Counts the requests the gateway sends on the bus (`request` and `requestJson`), by subject, while passing them through. */
export function countBusRequests(system: TestSystem) {
  const bus = system.bus as MessageBus;
  const counts = new Map<string, number>();
  const spies = (['request', 'requestJson'] as const).map((method) => {
    const original = (bus[method] as MessageBus['request']).bind(bus);
    return jest.spyOn(bus as Record<typeof method, MessageBus['request']>, method).mockImplementation((subject, envelope, timeoutMs) => {
      counts.set(subject, (counts.get(subject) ?? 0) + 1);
      return original(subject, envelope, timeoutMs);
    });
  });
  return {
    of: (subject: string) => counts.get(subject) ?? 0,
    total: () => [...counts.values()].reduce((a, b) => a + b, 0),
    reset: () => counts.clear(),
    restore: () => spies.forEach((spy) => spy.mockRestore()),
  };
}

export interface TestAgent {
  employeeId: string;
  agentId: string;
  key: string;
}

/** Registers an agent through the REST API (admin token) and returns its key. */
export async function registerAgent(system: TestSystem, overrides: Record<string, unknown> = {}, employeeId: string = crypto.randomUUID()): Promise<TestAgent> {
  const res = await rest(system, 'POST', '/api/coord/agents/register', ADMIN_TOKEN, seedRegistration(employeeId, crypto.randomUUID(), overrides));
  if (res.status !== 200) throw new Error(`register answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { employeeId, agentId: res.body.agent_id, key: res.body.api_key };
}

/** A raw HTTP request: exact headers and body bytes, the answer's text parsed when it is JSON. */
export async function rawRequest(system: TestSystem, method: string, path: string, headers: Record<string, string>, body?: string | Uint8Array) {
  const res = await fetch(`${system.url}${path}`, { method, headers, body });
  const text = await res.text();
  let json: any = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, body: json, text, headers: res.headers };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A graphql-ws client on one socket that runs any number of operations and records how it closed. */
export function wsSession(system: TestSystem, token: string) {
  let closeEvent: { code: number; reason: string } | undefined;
  let onClose: (() => void) | undefined;
  const client = createClient({
    url: system.url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
  });
  const connected = new Promise<void>((resolve) => client.on('connected', () => resolve()));
  client.on('closed', (event: any) => {
    closeEvent = { code: event?.code, reason: String(event?.reason ?? '') };
    onClose?.();
  });
  return {
    connected,
    get closeEvent() {
      return closeEvent;
    },
    /** Resolves with the close event, or undefined when the socket is still open after `timeoutMs`. */
    closed(timeoutMs = 5000): Promise<{ code: number; reason: string } | undefined> {
      if (closeEvent) return Promise.resolve(closeEvent);
      return new Promise((resolve) => {
        const timer = setTimeout(() => resolve(undefined), timeoutMs);
        onClose = () => (clearTimeout(timer), resolve(closeEvent));
      });
    },
    /** One query or mutation over the socket: its result, or the error the socket gave. */
    execute(query: string, variables?: Record<string, unknown>): Promise<{ data?: any; errors?: any[]; failure?: unknown }> {
      return new Promise((resolve) => {
        let result: any;
        client.subscribe(
          { query, variables },
          {
            next: (value) => (result = value),
            error: (failure) => resolve({ failure, errors: Array.isArray(failure) ? failure : undefined }),
            complete: () => resolve(result ?? {}),
          },
        );
      });
    },
    /** A subscription whose pushed results collect in `received`. */
    subscribe(query: string, variables?: Record<string, unknown>) {
      const received: any[] = [];
      let ended: unknown;
      client.subscribe({ query, variables }, { next: (v) => received.push(v), error: (e) => (ended = e ?? 'error'), complete: () => (ended = ended ?? 'complete') });
      return {
        received,
        get ended() {
          return ended;
        },
      };
    },
    close: () => client.dispose(),
  };
}
