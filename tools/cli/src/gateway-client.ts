import { CliError, ExitCodes } from './cli-error';
import type { Connection } from './connection';

type ErrorBody = { code?: string; message?: string; details?: { path: string; message: string }[] };

/** Why a request never got an answer, in words a person can act on. */
export function unreachable(url: string, error: unknown): CliError {
  const cause = (error as { cause?: { code?: string; message?: string } })?.cause;
  const why = cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new CliError(`cannot reach the gateway at ${url} (${why}): is it running? Point --url or AUTOCODER_URL at it`, ExitCodes.unreachable);
}

/** The gateway's error answer as one line, with the exit code its status calls for. */
export async function refusal(res: Response): Promise<CliError> {
  const text = await res.text().catch(() => '');
  let error: ErrorBody = {};
  try {
    error = (JSON.parse(text) as { error?: ErrorBody }).error ?? {};
  } catch {
    error = { message: text.slice(0, 200) || res.statusText };
  }
  const message = error.message ?? res.statusText;
  if (res.status === 401) return new CliError(`the gateway refused the token (401): ${message}`, ExitCodes.unauthorized);
  if (res.status === 403) return new CliError(`not allowed (403): ${message}`, ExitCodes.unauthorized);
  if (res.status === 404) return new CliError(`not found (404): ${message}`, ExitCodes.notFound);
  return new CliError(`the gateway answered ${res.status}${error.code ? ` ${error.code}` : ''}: ${message}`);
}

/** The gateway's REST paths, as the CLI uses them. */
export class GatewayClient {
  constructor(readonly connection: Connection) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.fetch(path, { method, body: body === undefined ? undefined : JSON.stringify(body), headers: body === undefined ? {} : { 'content-type': 'application/json' } });
    if (!res.ok) throw await refusal(res);
    return (await res.json()) as T;
  }

  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = `${this.connection.url}${path}`;
    try {
      return await fetch(url, { ...init, headers: { authorization: `Bearer ${this.connection.token}`, ...(init.headers as Record<string, string>) } });
    } catch (error) {
      if ((error as Error)?.name === 'AbortError') throw error;
      throw unreachable(this.connection.url, error);
    }
  }
}
