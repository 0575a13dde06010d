import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startFakeAnthropic, type Script } from '@autocoder/fake-anthropic';
import { loadConfig, type AutocoderConfig } from '@autocoder/platform';
import { randomUUID } from 'node:crypto';
import { TEST_DATABASE_URL, dropSchemasWithPrefix, uniqueSchema } from '@autocoder/testing';
import { createClient, type Client } from 'graphql-ws';
import { Client as PgClient } from 'pg';
import WebSocket from 'ws';
import { startAutocoder, type RunningAutocoder, type StartOptions } from '../src';

export const ADMIN_TOKEN = 'adm_test_token_for_the_e2e_suites';

/** An in-process Autocoder on the real Postgres, in schemas of its own. */
export async function startTestSystem(overrides: Partial<AutocoderConfig> = {}, options: StartOptions = {}) {
  const home = mkdtempSync(join(tmpdir(), 'autocoder-e2e-'));
  const config: AutocoderConfig = {
    ...loadConfig({}),
    home,
    port: 0,
    host: '127.0.0.1',
    adminToken: ADMIN_TOKEN,
    databaseUrl: TEST_DATABASE_URL,
    natsUrl: null,
    eventstoreUrl: null,
    logLevel: 'warn',
    schemaPrefix: `${uniqueSchema('e2e')}_`,
    ...overrides,
  };
  const system = await startAutocoder(config, options);
  return {
    ...system,
    config,
    /** Stops the system; `dropSchemas` also removes its tables. */
    async close(dropSchemas = true) {
      await system.stop();
      if (dropSchemas) await dropPrefixedSchemas(config.schemaPrefix);
      rmSync(home, { recursive: true, force: true });
    },
  };
}

export type TestSystem = Awaited<ReturnType<typeof startTestSystem>>;

export async function dropPrefixedSchemas(prefix: string) {
  await dropSchemasWithPrefix(prefix);
}

export async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new PgClient({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

export async function rest(system: RunningAutocoder, method: string, path: string, token: string | null, body?: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${system.url}${path}`, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

export async function gql(system: RunningAutocoder, token: string | null, query: string, variables?: Record<string, unknown>) {
  const res = await rest(system, 'POST', '/graphql', token, { query, variables });
  const body = (res.body ?? {}) as { data?: any; errors?: any[] };
  return { status: res.status, data: body.data, errors: body.errors, body: res.body };
}

/** A graphql-ws client; `next()` waits for the next pushed result. */
export function subscribe(system: RunningAutocoder, token: string, query: string, variables?: Record<string, unknown>) {
  const received: any[] = [];
  const waiting: ((value: any) => void)[] = [];
  let failure: unknown;
  const client: Client = createClient({
    url: system.url.replace('http', 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: (error) => (failure = error),
  });
  let ready!: () => void;
  const connected = new Promise<void>((resolve) => (ready = resolve));
  client.on('connected', () => ready());
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (value) => {
        const waiter = waiting.shift();
        if (waiter) waiter(value);
        else received.push(value);
      },
      error: (error) => (failure = error),
      complete: () => undefined,
    },
  );
  return {
    connected,
    get failure() {
      return failure;
    },
    next(timeoutMs = 10_000): Promise<any> {
      if (received.length) return Promise.resolve(received.shift());
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no subscription message within ${timeoutMs} ms (error: ${String(failure)})`)), timeoutMs);
        waiting.push((value) => (clearTimeout(timer), resolve(value)));
      });
    },
    async close() {
      dispose();
      await client.dispose();
    },
  };
}

/** Polls until `check` returns a value that is not undefined. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The seed's register payload (seed 004), with fresh ids. */
export const seedRegistration = (employeeId: string, ownerId: string, overrides: Record<string, unknown> = {}) => ({
  employee_id: employeeId,
  name: 'CLAUDE',
  endpoint_url: 'https://agent-host/api',
  specialization_codes: ['planning', 'backend', 'research'],
  capabilities: { tools: ['web', 'db'], models: ['claude-3'] },
  owner_employee_id: ownerId,
  ...overrides,
});

/** A command or a query from the admin, as the gateway would send it over the bus. */
export const adminCommand = <P>(payload: P) => ({ commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'admin' as const }, payload });
export const adminQuery = <P>(payload: P) => ({ correlationId: randomUUID(), actor: { kind: 'admin' as const }, payload });

/**
 * A test system whose runner talks to a local fake Messages API playing `script`: the SDK finds it
 * through ANTHROPIC_BASE_URL (restored by `close`); sessions follow each other without delay.
 */
export async function startRunnerTestSystem(script: Script, overrides: Partial<AutocoderConfig> = {}) {
  const env = { ...process.env };
  const fake = await startFakeAnthropic({ script });
  process.env.ANTHROPIC_BASE_URL = fake.url;
  process.env.ANTHROPIC_API_KEY = 'sk-ant-test';
  const system = await startTestSystem(
    { runner: { ...loadConfig({}).runner, projectsDir: mkdtempSync(join(tmpdir(), 'autocoder-projects-')), autoContinueDelaySec: 0 }, ...overrides },
    { runnerSweepMs: 200, runnerPollMs: 50, runnerClaimPatienceMs: 5000 },
  );
  return {
    fake,
    system,
    async close() {
      await system.close();
      await fake.close();
      process.env = env;
    },
  };
}
