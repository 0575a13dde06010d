import { ErrorCodes } from '@autocoder/contracts';
import Anthropic, { APIError, APIUserAbortError, type Middleware } from '@anthropic-ai/sdk';
import type { Message, MessageCreateParamsBase } from '@anthropic-ai/sdk/resources/messages';
import { setTimeout as sleep } from 'node:timers/promises';
import { ModelCallError } from './model-call-error';

export interface ModelClientOptions {
  /** Omitted: the SDK reads ANTHROPIC_API_KEY (or its other credentials) itself, at the first call. */
  apiKey?: string;
  /** Omitted: the SDK reads ANTHROPIC_BASE_URL, else the public API. */
  baseURL?: string;
  /** The SDK's retries of a request that failed before streaming (429, 529, 5xx, connection), honouring retry-after. */
  maxRetries?: number;
  /** Per HTTP attempt. */
  timeoutMs?: number;
  /** Retries of a stream that broke after it started (the SDK does not retry those). */
  streamRetries?: number;
  /** First backoff before a stream retry; doubled each time, capped at 8 s, with jitter. */
  streamRetryDelayMs?: number;
  /**
   * A started stream that sends no event for this long is dropped and retried as a broken one (the
   * SDK's timeout ends when the response starts, so a stalled stream would otherwise wait forever).
   */
  streamIdleTimeoutMs?: number;
}

export interface ModelCallResult {
  message: Message;
  requestId: string | null;
  latencyMs: number;
  /** HTTP attempts, counting the SDK's retries and this client's stream retries. */
  attempts: number;
}

export interface ModelClient {
  call(params: MessageCreateParamsBase, options?: { signal?: AbortSignal }): Promise<ModelCallResult>;
}

export const DEFAULT_MAX_RETRIES = 4;
export const DEFAULT_STREAM_RETRIES = 3;
export const DEFAULT_STREAM_IDLE_TIMEOUT_MS = 5 * 60_000;

/** Every call streams (`messages.stream(...).finalMessage()`): large outputs never hit a response timeout. */
export function createModelClient(options: ModelClientOptions = {}): ModelClient {
  const sdk = new Anthropic({
    apiKey: options.apiKey,
    baseURL: options.baseURL,
    maxRetries: options.maxRetries ?? DEFAULT_MAX_RETRIES,
    ...(options.timeoutMs !== undefined ? { timeout: options.timeoutMs } : {}),
  });
  const streamRetries = options.streamRetries ?? DEFAULT_STREAM_RETRIES;
  const firstDelay = options.streamRetryDelayMs ?? 500;
  const idleTimeout = options.streamIdleTimeoutMs ?? DEFAULT_STREAM_IDLE_TIMEOUT_MS;

  return {
    async call(params, { signal } = {}) {
      const started = performance.now();
      let attempts = 0;
      const counter: Middleware = (request, next) => {
        attempts++;
        return next(request);
      };
      for (let retry = 0; ; retry++) {
        let connected = false;
        let stalled = false;
        let idle: NodeJS.Timeout | undefined;
        const stream = sdk.messages.stream(params, { signal, middleware: [counter] });
        const watch = () => {
          clearTimeout(idle);
          idle = setTimeout(() => ((stalled = true), stream.abort()), idleTimeout);
        };
        stream.on('connect', () => ((connected = true), watch()));
        stream.on('streamEvent', watch);
        try {
          const message = await stream.finalMessage();
          return { message, requestId: stream.request_id ?? null, latencyMs: Math.round(performance.now() - started), attempts };
        } catch (error) {
          if (signal?.aborted) throw signal.reason ?? error;
          const requestId = stream.request_id ?? (error instanceof APIError ? (error.requestID ?? null) : null);
          if (connected && (stalled || isStreamBreak(error))) {
            if (retry < streamRetries) {
              await backoff(Math.min(firstDelay * 2 ** retry, 8000), signal);
              continue;
            }
            const last = stalled ? `no event for ${idleTimeout} ms` : messageOf(error);
            throw new ModelCallError(
              ErrorCodes.ModelUnavailable,
              `the response stream broke ${retry + 1} times, last: ${last}`,
              null,
              requestId,
              attempts,
            );
          }
          throw typed(error, requestId, attempts);
        } finally {
          clearTimeout(idle);
        }
      }
    },
  };
}

/** Waits about `ms` (with jitter); an abort ends the wait with the signal's reason. */
async function backoff(ms: number, signal: AbortSignal | undefined): Promise<void> {
  try {
    await sleep(ms * (1 - Math.random() * 0.25), undefined, { signal });
  } catch (error) {
    throw signal?.aborted ? (signal.reason ?? error) : error;
  }
}

/** A failure after the response started: a cut connection or an error event in the stream. */
const isStreamBreak = (error: unknown): boolean =>
  !(error instanceof APIUserAbortError) && !(error instanceof APIError && (error.status !== undefined || error.type === 'invalid_request_error'));

const messageOf = (error: unknown): string => (error instanceof APIError ? (error.apiMessage ?? error.message) : String((error as Error)?.message ?? error));

function typed(error: unknown, requestId: string | null, attempts: number): ModelCallError {
  if (error instanceof APIError) {
    const status = error.status ?? null;
    const said = messageOf(error);
    if (status === 400 || error.type === 'invalid_request_error') {
      return new ModelCallError(ErrorCodes.ModelRequestInvalid, `the Messages API refused the request: ${said}`, status, requestId, attempts);
    }
    if (status === 401 || status === 403) {
      return new ModelCallError(
        ErrorCodes.Unauthenticated,
        `the Messages API refused the credentials (${status}): ${said}; check ANTHROPIC_API_KEY`,
        status,
        requestId,
        attempts,
      );
    }
    return new ModelCallError(
      ErrorCodes.ModelUnavailable,
      `the Messages API did not answer after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${status ? `${status} ` : ''}${said}`,
      status,
      requestId,
      attempts,
    );
  }
  const said = messageOf(error);
  // The SDK found no credential when the request was made (not when the client was created).
  if (/authentication|credential|api.?key/i.test(said)) {
    return new ModelCallError(
      ErrorCodes.Unauthenticated,
      `no Anthropic API key: set ANTHROPIC_API_KEY (or pass apiKey to the model client); the SDK said: ${said}`,
      null,
      requestId,
      attempts,
    );
  }
  return new ModelCallError(ErrorCodes.ModelUnavailable, `the model call failed: ${said}`, null, requestId, attempts);
}
