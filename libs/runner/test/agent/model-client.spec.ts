import { isAutocoderError } from '@autocoder/contracts';
import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createModelClient, ModelCallError, type ModelClientOptions } from '../../src/agent';

/** What the server does with one request: the next handler in the script. */
type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const sse = (event: string, data: object) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
const start = (id: string) =>
  sse('message_start', {
    type: 'message_start',
    message: { id, type: 'message', role: 'assistant', model: 'claude-sonnet-5-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 12, output_tokens: 1 } },
  });
const textEvents = (t: string) =>
  sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }) +
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t.slice(0, 3) } }) +
  sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: t.slice(3) } }) +
  sse('content_block_stop', { type: 'content_block_stop', index: 0 });
const end = sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 7 } }) + sse('message_stop', { type: 'message_stop' });

const streamHeaders = (requestId: string) => ({ 'content-type': 'text/event-stream', 'request-id': requestId });
const ok =
  (t = 'Hello there', requestId = 'req_ok'): Handler =>
  (_req, res) => {
    res.writeHead(200, streamHeaders(requestId));
    res.end(start('msg_ok') + textEvents(t) + end);
  };
const status =
  (code: number, type: string, message: string, headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(code, { 'content-type': 'application/json', 'request-id': `req_${code}`, ...headers });
    res.end(JSON.stringify({ type: 'error', error: { type, message } }));
  };
/** Starts the stream, then drops the connection midway. */
const cut: Handler = (_req, res) => {
  res.writeHead(200, streamHeaders('req_cut'));
  res.write(start('msg_cut') + sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }));
  setTimeout(() => res.socket?.destroy(), 20);
};
/** Starts the stream and never finishes it. */
const hang: Handler = (_req, res) => {
  res.writeHead(200, streamHeaders('req_hang'));
  res.write(start('msg_hang'));
};

describe('createModelClient against a local Messages API', () => {
  let server: Server;
  let baseURL: string;
  let script: Handler[] = [];
  let seen: { headers: IncomingMessage['headers']; body: any }[] = [];
  const env = { ...process.env };

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ headers: req.headers, body: body ? JSON.parse(body) : null });
        const handler = script.shift();
        if (handler) handler(req, res);
        else status(500, 'api_error', 'script exhausted')(req, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    script = [];
    seen = [];
    // No credential on this machine may leak in: an empty config dir, no key variables.
    process.env = { ...env, ANTHROPIC_CONFIG_DIR: mkdtempSync(join(tmpdir(), 'anthropic-config-')) };
    delete process.env.ANTHROPIC_API_KEY;
    delete process.env.ANTHROPIC_AUTH_TOKEN;
    delete process.env.ANTHROPIC_BASE_URL;
    delete process.env.ANTHROPIC_PROFILE;
  });
  afterEach(() => {
    process.env = env;
  });

  const client = (options: ModelClientOptions = {}) => createModelClient({ apiKey: 'sk-test', baseURL, streamRetryDelayMs: 10, ...options });
  const params = { model: 'claude-sonnet-5-5', max_tokens: 100, messages: [{ role: 'user' as const, content: 'hi' }] };
  const failure = async (promise: Promise<unknown>): Promise<ModelCallError> => {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ModelCallError);
    return error as ModelCallError;
  };

  it('streams a response into the final message, with its request id, latency and one attempt', async () => {
    script = [ok('Hello there', 'req_1')];
    const result = await client().call(params);
    expect(result.message.content).toEqual([{ type: 'text', text: 'Hello there' }]);
    expect(result.message.stop_reason).toBe('end_turn');
    expect(result.message.usage).toMatchObject({ input_tokens: 12, output_tokens: 7 });
    expect(result).toMatchObject({ requestId: 'req_1', attempts: 1 });
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
    expect(seen[0].body).toMatchObject({ ...params, stream: true });
    expect(seen[0].body).not.toHaveProperty('temperature');
    expect(seen[0].headers.authorization).toBe('Bearer sk-test');
  });

  it('retries a 429 after the retry-after the API asked for (2 attempts)', async () => {
    script = [status(429, 'rate_limit_error', 'slow down', { 'retry-after': '1' }), ok()];
    const result = await client().call(params);
    expect(result.attempts).toBe(2);
    expect(result.latencyMs).toBeGreaterThanOrEqual(900);
    expect(seen.map((s) => s.headers['x-stainless-retry-count'])).toEqual(['0', '1']);
  });

  it.each([
    [529, 'overloaded_error'],
    [500, 'api_error'],
  ])('retries a %i, then answers', async (code, type) => {
    script = [status(code, type, 'busy', { 'retry-after-ms': '10' }), status(code, type, 'busy', { 'retry-after-ms': '10' }), ok()];
    const result = await client().call(params);
    expect(result).toMatchObject({ attempts: 3, requestId: 'req_ok' });
  });

  it('gives up on a 5xx after maxRetries with MODEL_UNAVAILABLE and the status', async () => {
    script = [0, 1, 2].map(() => status(503, 'api_error', 'down for maintenance', { 'retry-after-ms': '10' }));
    const error = await failure(client({ maxRetries: 2 }).call(params));
    expect(error).toMatchObject({ code: 'MODEL_UNAVAILABLE', status: 503, requestId: 'req_503', attempts: 3 });
    expect(error.message).toContain('down for maintenance');
    expect(seen).toHaveLength(3);
  });

  it('retries a stream cut midway, which the SDK does not', async () => {
    script = [cut, ok('second try')];
    const result = await client().call(params);
    expect(result.message.content).toEqual([{ type: 'text', text: 'second try' }]);
    expect(result.attempts).toBe(2);
    expect(seen).toHaveLength(2);
  });

  it('retries an error event in the middle of the stream', async () => {
    const overloadedMidway: Handler = (_req, res) => {
      res.writeHead(200, streamHeaders('req_mid'));
      res.end(start('msg_mid') + sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }));
    };
    script = [overloadedMidway, ok()];
    expect(await client().call(params)).toMatchObject({ attempts: 2 });
  });

  it('drops and retries a started stream that stalls', async () => {
    script = [hang, ok('after the stall')];
    const result = await client({ streamIdleTimeoutMs: 150 }).call(params);
    expect(result.message.content).toEqual([{ type: 'text', text: 'after the stall' }]);
    expect(result.attempts).toBe(2);
  });

  it('gives up on a stream that keeps breaking with MODEL_UNAVAILABLE', async () => {
    script = [cut, cut, cut];
    const error = await failure(client({ streamRetries: 2 }).call(params));
    expect(error).toMatchObject({ code: 'MODEL_UNAVAILABLE', status: null, attempts: 3 });
    expect(error.message).toMatch(/the response stream broke 3 times/);
  });

  it('does not retry a 400: MODEL_REQUEST_INVALID with the API message and request id', async () => {
    script = [status(400, 'invalid_request_error', 'messages.0.content: must not be empty'), ok()];
    const error = await failure(client().call(params));
    expect(error).toMatchObject({ code: 'MODEL_REQUEST_INVALID', status: 400, requestId: 'req_400', attempts: 1 });
    expect(error.message).toBe('the Messages API refused the request: messages.0.content: must not be empty');
    expect(isAutocoderError(error, 'MODEL_REQUEST_INVALID')).toBe(true);
    expect(seen).toHaveLength(1);
  });

  it('stops the call when the signal aborts, without retrying', async () => {
    script = [hang, ok()];
    const controller = new AbortController();
    const reason = new Error('run paused');
    setTimeout(() => controller.abort(reason), 100);
    const started = Date.now();
    await expect(client().call(params, { signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(seen).toHaveLength(1);
  });

  it('reads ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL as the SDK does', async () => {
    process.env.ANTHROPIC_API_KEY = 'sk-from-env';
    process.env.ANTHROPIC_BASE_URL = baseURL;
    script = [ok()];
    await createModelClient().call(params);
    expect(seen[0].headers.authorization).toBe('Bearer sk-from-env');
  });

  it('is created without a key, and says so at the first call', async () => {
    const keyless = createModelClient({ baseURL });
    const error = await failure(keyless.call(params));
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toMatch(/^no Anthropic API key: set ANTHROPIC_API_KEY/);
    expect(seen).toHaveLength(0);
  });
});
