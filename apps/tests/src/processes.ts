import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

/** The monorepo root: services are started from there, as `npm start` does. */
export const REPO_ROOT = resolve(__dirname, '..', '..', '..');

export type ServiceName = 'autocoder' | 'gateway' | 'coordinator' | 'runner' | 'usage';

/** The line each app prints once it is ready; the first group, when there is one, is its URL. */
const READY: Record<ServiceName, RegExp> = {
  autocoder: /Autocoder listening on (http:\/\/\S+)/,
  gateway: /Gateway listening on (http:\/\/\S+)/,
  coordinator: /Coordinator serving on \S+/,
  runner: /Runner serving on \S+/,
  usage: /Usage serving on \S+/,
};

const MAX_OUTPUT_CHARS = 2_000_000;

export interface ServiceProcess {
  name: string;
  pid: number;
  /** The port passed as PORT (every service gets one, even those that do not listen on HTTP). */
  port: number;
  /** The URL the service printed (HTTP services), else `http://127.0.0.1:<port>`. */
  url: string;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** stdout and stderr interleaved, as received. */
  output(): string;
  /** Resolves with the first match of `pattern` in stdout, waiting up to `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): void;
  /** Settles once the process has exited (never rejects). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly running: boolean;
}

export interface StartOptions {
  /** Merged over the inherited environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** Defaults to the app's own "listening"/"serving" line. */
  ready?: RegExp;
  /** How long to wait for the ready line. */
  timeoutMs?: number;
  /** A label for error messages when several instances of one app run. */
  label?: string;
  /** Arguments after the entry file. */
  args?: string[];
}

const started = new Set<ServiceProcess>();

/** A port nobody listens on right now (the OS picks it; we close it and hand it to the child). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
  });
}

const tail = (text: string, chars = 6000) => (text.length > chars ? `…${text.slice(-chars)}` : text);

/**
 * Starts `apps/<name>/src/main.ts` as a real child process (`node -r @swc-node/register`), on a
 * free loopback port, and resolves once it printed its ready line. Rejects (with the output so far)
 * when it exits first or stays silent past the timeout; the process is then killed.
 */
export function startService(name: ServiceName, options: StartOptions = {}): Promise<ServiceProcess> {
  return startProcess(`apps/${name}/src/main.ts`, { ...options, ready: options.ready ?? READY[name], label: options.label ?? name });
}

/**
 * Starts any TypeScript entry file of the monorepo (e.g. `tools/fake-anthropic/src/main.ts`) as
 * startService starts an app: resolves once stdout matches `ready`.
 */
export async function startProcess(entry: string, options: StartOptions & { ready: RegExp }): Promise<ServiceProcess> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, HOST: '127.0.0.1', PORT: String(port) };
  for (const [key, value] of Object.entries(options.env ?? {})) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  // The jest worker's own node flags are not the service's business.
  delete env.NODE_OPTIONS;

  const label = options.label ?? entry;
  const child: ChildProcess = spawn(process.execPath, ['-r', '@swc-node/register', entry, ...(options.args ?? [])], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });

  let stdout = '';
  let output = '';
  let running = true;
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer, toStdout: boolean) => {
    const text = chunk.toString('utf8');
    if (toStdout) stdout = (stdout + text).slice(-MAX_OUTPUT_CHARS);
    output = (output + text).slice(-MAX_OUTPUT_CHARS);
    for (const listener of [...listeners]) listener();
  };
  child.stdout!.on('data', (chunk: Buffer) => append(chunk, true));
  child.stderr!.on('data', (chunk: Buffer) => append(chunk, false));

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => {
      running = false;
      for (const listener of [...listeners]) listener();
      resolveExit({ code, signal });
    });
    child.once('error', (error) => {
      output += `\n[spawn error] ${error.message}`;
      running = false;
      for (const listener of [...listeners]) listener();
      resolveExit({ code: null, signal: null });
    });
  });

  const waitForOutput = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolveMatch, reject) => {
      const check = () => {
        const match = stdout.match(pattern);
        if (match) return done(() => resolveMatch(match));
        if (!running) return done(() => reject(new Error(`${label} (pid ${child.pid}) exited before printing ${pattern}; output:\n${tail(output)}`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`${label} (pid ${child.pid}) did not print ${pattern} within ${timeoutMs} ms; output:\n${tail(output)}`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        settle();
      };
      listeners.add(check);
      check();
    });

  const service: ServiceProcess = {
    name: label,
    pid: child.pid ?? -1,
    port,
    url: `http://127.0.0.1:${port}`,
    stdout: () => stdout,
    output: () => output,
    waitForOutput,
    kill: (signal: NodeJS.Signals = 'SIGTERM') => {
      if (running) child.kill(signal);
    },
    exited,
    get running() {
      return running;
    },
  };
  started.add(service);
  void exited.then(() => started.delete(service));

  try {
    const match = await waitForOutput(options.ready, options.timeoutMs ?? 60_000);
    if (match[1]) service.url = match[1];
  } catch (error) {
    service.kill('SIGKILL');
    await exited;
    throw error;
  }
  return service;
}

/**
 * Stops every service this worker started and that still runs: `signal` first, SIGKILL after
 * `graceMs`. Call it in afterAll so no process outlives its suite.
 */
export async function stopAllServices(signal: NodeJS.Signals = 'SIGTERM', graceMs = 5000): Promise<void> {
  const alive = [...started].filter((s) => s.running);
  await Promise.all(
    alive.map(async (s) => {
      s.kill(signal);
      const timer = setTimeout(() => s.kill('SIGKILL'), graceMs);
      await s.exited;
      clearTimeout(timer);
    }),
  );
}

// Last resort should a suite forget, or the worker die: no orphaned services.
process.once('exit', () => {
  for (const s of started) if (s.running) s.kill('SIGKILL');
});

export interface RestResponse<T = any> {
  status: number;
  body: T;
}

/** One JSON request; `token` goes in as `Authorization: Bearer <token>` when given. */
export async function rest<T = any>(url: string, method: string, path: string, token?: string | null, body?: unknown, timeoutMs = 15_000): Promise<RestResponse<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: hand back the text
  }
  return { status: response.status, body: parsed as T };
}

export class GraphQLErrors extends Error {
  constructor(readonly errors: unknown[], readonly data: unknown) {
    super(`GraphQL errors: ${JSON.stringify(errors)}`);
    this.name = 'GraphQLErrors';
  }
}

/** A GraphQL query or mutation over HTTP; resolves with `data`, rejects with GraphQLErrors. */
export async function gql<T = any>(url: string, token: string | null, query: string, variables?: Record<string, unknown>, timeoutMs = 15_000): Promise<T> {
  const { status, body } = await rest<{ data?: T; errors?: unknown[] }>(url, 'POST', '/graphql', token, { query, variables }, timeoutMs);
  if (body && typeof body === 'object' && body.errors?.length) throw new GraphQLErrors(body.errors, body.data);
  if (status !== 200 || !body || typeof body !== 'object' || !('data' in body)) {
    throw new Error(`GraphQL request failed with HTTP ${status}: ${JSON.stringify(body)}`);
  }
  return body.data as T;
}

export interface Subscription<T> {
  /** Every `data` received, in order. */
  readonly received: T[];
  /** Resolves with the first received item (already received or to come) that satisfies `predicate`. */
  waitFor(predicate: (item: T) => boolean, timeoutMs?: number, what?: string): Promise<T>;
  close(): Promise<void>;
}

/**
 * A graphql-ws subscription on `<url>/graphql` with `{Authorization: "Bearer <token>"}` as
 * connectionParams. Resolves once the server acknowledged the connection and a short grace for it
 * to set up the operation has passed (graphql-ws has no acknowledgement per subscription).
 */
export async function subscribe<T = any>(
  url: string,
  token: string,
  query: string,
  variables?: Record<string, unknown>,
  options: { connectTimeoutMs?: number; settleMs?: number } = {},
): Promise<Subscription<T>> {
  const received: T[] = [];
  const errors: unknown[] = [];
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of [...listeners]) listener();
  };
  let connected!: () => void;
  let failed!: (error: unknown) => void;
  const ready = new Promise<void>((res, rej) => ((connected = res), (failed = rej)));

  const client: Client = createClient({
    url: url.replace(/^http/, 'ws') + '/graphql',
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: false,
    retryAttempts: 0,
    // Failures reach `on.closed`/`on.error` and the sink; the default would also console.error them.
    onNonLazyError: () => undefined,
    on: {
      connected: () => connected(),
      closed: (event) => failed(new Error(`websocket closed before it was acknowledged: ${JSON.stringify((event as { code?: number })?.code)}`)),
      error: (error) => failed(error),
    },
  });
  const dispose = client.subscribe<T>(
    { query, variables },
    {
      next: (value) => {
        if (value.errors?.length) errors.push(...value.errors);
        if (value.data) received.push(value.data as T);
        notify();
      },
      error: (error) => {
        errors.push(error);
        notify();
      },
      complete: () => undefined,
    },
  );

  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ready,
      new Promise((_, rej) => (timer = setTimeout(() => rej(new Error(`graphql-ws connection not acknowledged in ${connectTimeoutMs} ms`)), connectTimeoutMs))),
    ]);
  } catch (error) {
    dispose();
    await client.dispose();
    throw error;
  } finally {
    clearTimeout(timer);
  }
  await new Promise((res) => setTimeout(res, options.settleMs ?? 500));

  return {
    received,
    waitFor: (predicate, timeoutMs = 15_000, what = 'a matching event') =>
      new Promise<T>((res, rej) => {
        const check = () => {
          if (errors.length) return finish(() => rej(new Error(`subscription failed: ${JSON.stringify(errors)}`)));
          const found = received.find(predicate);
          if (found !== undefined) finish(() => res(found));
        };
        const timeout = setTimeout(
          () => finish(() => rej(new Error(`subscription did not deliver ${what} within ${timeoutMs} ms; received ${JSON.stringify(received)}`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timeout);
          listeners.delete(check);
          settle();
        };
        listeners.add(check);
        check();
      }),
    close: async () => {
      dispose();
      await client.dispose();
    },
  };
}

/** Calls `attempt` until it returns a value other than undefined, or fails with the last state seen. */
export async function poll<T>(
  what: string,
  attempt: () => Promise<T | undefined>,
  options: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await attempt();
      if (value !== undefined) return value;
      last = 'not yet';
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    }
    await new Promise((res) => setTimeout(res, options.intervalMs ?? 200));
  }
}
