// The fake Messages API: a node:http server that answers POST /v1/messages (JSON or SSE) and
// POST /v1/messages/count_tokens the way the API does, from a script, with prompt caching simulated
// and faults injectable. Everything it received and answered is in `requests`.
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildMessage } from './answer';
import { ApiError } from './api-error';
import { type Fault, FaultQueue, faultError } from './faults';
import { PromptCache } from './prompt-cache';
import { echoScript, type Script } from './script';
import { formatEvent, streamEvents } from './sse';
import { canonicalJson } from './tokens';
import type { MessagesRequest, StopReason, Usage } from './types';
import { type Endpoint, validateRequest } from './validate-request';

export interface FakeAnthropicOptions {
  port?: number;
  host?: string;
  script?: Script;
  /** Prefixes shorter than this are not cached (the API's minimum is 1024 tokens for most models). */
  minCacheableTokens?: number;
  /** The clock of the cache TTLs, in ms. */
  now?: () => number;
  /** Wait this long before each answer (a turn's own latencyMs wins). */
  latencyMs?: number;
  /** Append one JSON line per request to this file (for a test in another process). */
  recordPath?: string;
  /** Also write each request's body to `recordPath` (a crash test reads what the model was sent). */
  recordBodies?: boolean;
}

export interface RecordedRequest {
  requestId: string;
  path: string;
  body: unknown;
  /** sha256 of the body's canonical JSON: equal bodies, equal hashes. */
  bodyHash: string;
  at: number;
  status: number;
  streamed: boolean;
  /** True when the stream was cut by a fault before message_stop: the client got no answer. */
  cut: boolean;
  usage?: Usage;
  stopReason?: StopReason;
  error?: { type: string; message: string };
}

export interface UsageTotals {
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  ephemeral_5m_input_tokens: number;
  ephemeral_1h_input_tokens: number;
}

export interface FakeAnthropic {
  /** Base URL for the SDK: `new Anthropic({ baseURL: fake.url, apiKey: 'x' })`. */
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Requests answered in full (status 200, not cut): the model calls a client received. */
  answered(): RecordedRequest[];
  /** Usage summed over the answered requests, per bucket. */
  totals(): UsageTotals;
  failNext(fault: Fault, count?: number): void;
  setScript(script: Script): void;
  close(): Promise<void>;
}

export function hashBody(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const now = options.now ?? Date.now;
  const cache = new PromptCache(options.minCacheableTokens ?? 1024, now);
  const faults = new FaultQueue();
  const requests: RecordedRequest[] = [];
  let script = options.script ?? echoScript;

  const record = (entry: RecordedRequest) => {
    requests.push(entry);
    if (options.recordPath) {
      const { body, ...line } = entry;
      appendFileSync(options.recordPath, `${JSON.stringify(options.recordBodies ? { ...line, body } : line)}\n`);
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = `req_011C${randomBytes(12).toString('base64url')}`;
    const path = (req.url ?? '').split('?')[0];
    const raw = await readBody(req);
    let body: unknown = raw;
    const entry: RecordedRequest = { requestId, path, body, bodyHash: hashBody(raw), at: now(), status: 0, streamed: false, cut: false };
    const fail = (error: ApiError) => {
      if (res.headersSent) {
        // Failed mid-answer (a script threw while streaming): the client sees a cut connection.
        entry.cut = true;
        res.socket?.destroy();
        record(entry);
        return;
      }
      entry.status = error.status;
      entry.error = { type: error.type, message: error.message };
      res.writeHead(error.status, { 'content-type': 'application/json', 'request-id': requestId, ...error.headers });
      res.end(JSON.stringify(error.body(requestId)));
      record(entry);
    };
    try {
      const endpoint: Endpoint | undefined =
        req.method === 'POST' && path === '/v1/messages' ? 'messages' : req.method === 'POST' && path === '/v1/messages/count_tokens' ? 'count_tokens' : undefined;
      if (!endpoint) throw new ApiError(404, 'not_found_error', 'Not Found');
      try {
        body = JSON.parse(raw);
      } catch {
        throw ApiError.invalid('The request body is not valid JSON.');
      }
      entry.body = body;
      entry.bodyHash = hashBody(body);
      if (!req.headers['x-api-key'] && !req.headers.authorization) throw new ApiError(401, 'authentication_error', 'x-api-key header is required');
      if (!req.headers['anthropic-version']) throw ApiError.invalid('anthropic-version: header is required');

      const fault = endpoint === 'messages' ? faults.next() : undefined;
      if (fault && 'status' in fault) throw faultError(fault);
      const request = validateRequest(body, endpoint);
      if (endpoint === 'count_tokens') {
        entry.status = 200;
        res.writeHead(200, { 'content-type': 'application/json', 'request-id': requestId });
        res.end(JSON.stringify({ input_tokens: PromptCache.totalTokens(request) }));
        record(entry);
        return;
      }
      await answer(request, entry, res, fault?.cutStreamAfterEvents);
      record(entry);
    } catch (error) {
      fail(error instanceof ApiError ? error : new ApiError(500, 'api_error', `fake: ${(error as Error).message}`));
    }
  };

  const answer = async (request: MessagesRequest, entry: RecordedRequest, res: ServerResponse, cutAfter: number | undefined) => {
    const input = cache.account(request);
    const turn = await script(request, { now: now(), requestNumber: requests.length + 1 });
    const latency = turn.latencyMs ?? options.latencyMs ?? 0;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    const message = buildMessage(turn, request.model, request.max_tokens, input, entry.bodyHash);
    entry.status = 200;
    entry.usage = {
      input_tokens: message.usage.input_tokens,
      output_tokens: message.usage.output_tokens,
      cache_creation_input_tokens: message.usage.cache_creation_input_tokens,
      cache_read_input_tokens: message.usage.cache_read_input_tokens,
      cache_creation: message.usage.cache_creation,
    };
    entry.stopReason = message.stop_reason;
    entry.streamed = request.stream === true;
    if (!entry.streamed) {
      if (cutAfter !== undefined) return cut(entry, res);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': entry.requestId });
      res.end(JSON.stringify(message));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': entry.requestId });
    const events = streamEvents(message);
    for (let i = 0; i < events.length; i++) {
      if (cutAfter !== undefined && i >= cutAfter) return cut(entry, res);
      res.write(formatEvent(events[i]));
    }
    res.end();
  };

  const cut = async (entry: RecordedRequest, res: ServerResponse) => {
    entry.cut = true;
    // Let the written events reach the client before the connection drops mid-body.
    await new Promise((resolve) => setTimeout(resolve, 20));
    res.socket?.destroy();
  };

  const server = createServer((req, res) => void handle(req, res));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const answered = () => requests.filter((r) => r.status === 200 && !r.cut && r.path === '/v1/messages');
  return {
    url: `http://${host}:${port}`,
    requests,
    answered,
    totals: () =>
      answered().reduce<UsageTotals>(
        (t, r) => ({
          requests: t.requests + 1,
          input_tokens: t.input_tokens + r.usage!.input_tokens,
          output_tokens: t.output_tokens + r.usage!.output_tokens,
          cache_creation_input_tokens: t.cache_creation_input_tokens + r.usage!.cache_creation_input_tokens,
          cache_read_input_tokens: t.cache_read_input_tokens + r.usage!.cache_read_input_tokens,
          ephemeral_5m_input_tokens: t.ephemeral_5m_input_tokens + r.usage!.cache_creation.ephemeral_5m_input_tokens,
          ephemeral_1h_input_tokens: t.ephemeral_1h_input_tokens + r.usage!.cache_creation.ephemeral_1h_input_tokens,
        }),
        { requests: 0, input_tokens: 0, output_tokens: 0, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, ephemeral_5m_input_tokens: 0, ephemeral_1h_input_tokens: 0 },
      ),
    failNext: (fault, count) => faults.push(fault, count),
    setScript: (next) => {
      script = next;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
