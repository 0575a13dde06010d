import { randomUUID } from 'node:crypto';

/**
 * One racing agent, run as its own OS process by the claim-race suite:
 *
 *   node -r @swc-node/register apps/tests/src/claimer.ts
 *
 * Environment:
 *   GATEWAY_URL         the gateway, e.g. http://127.0.0.1:4000
 *   AGENT_KEY           the agent's API key (ak_…)
 *   EMPLOYEE_ID         the agent's employee id
 *   MODE                `claim-next` (loop until the gateway answers `task: null` NULL_LIMIT times in a row)
 *                       or `claim-ids` (try each id of TASK_IDS once, in the given order)
 *   TASK_IDS            comma-separated task ids (claim-ids)
 *   START_AT            epoch ms at which to begin, so processes spawned one after another race together
 *   LEASE_TTL_SEC       lease asked for (default 600)
 *   NULL_LIMIT          claim-next: nulls in a row that end the loop (default 3)
 *   NULL_PAUSE_MS       claim-next: pause after a null before asking again (default 100)
 *   MAX_ATTEMPTS        upper bound on claims tried (default 200)
 *   RETRIES             how often a claim is sent again after a transient failure (default 5)
 *   REQUEST_TIMEOUT_MS  per request (default 20000)
 *   DEADLINE_MS         the whole run, counted from START_AT (default 90000)
 *
 * Prints one JSON line per line of output, on stdout:
 *   {"ready":true,"pid":…,"readyAt":…,"startAt":…}        once loaded, before waiting for START_AT
 *   {"taskId":…,"fencingToken":…,"leaseExpiresAt":…}     per successful claim
 *   {"done":true,"attempts":…,"requests":…,"errors":{code:count},"transient":{code:count},
 *    "statuses":{http:count},"startedAt":…,"finishedAt":…,"timedOut":bool}
 * and exits 0 (2 for a usage error).
 *
 * Each claim is one command with its own Idempotency-Key. A transient failure (the request failed
 * or timed out, or a 502/503/504 such as the gateway's UNAVAILABLE when the coordinator did not
 * answer in time) is counted under `transient` and the claim sent again with the same key, so the
 * coordinator's command log answers with the outcome of the first try instead of running it again
 * (a claim that succeeded while its answer was lost is not lost). `attempts` counts claims,
 * `requests` HTTP requests. `errors` holds each claim's final failure: its error code, else
 * HTTP_<status>, else FETCH_FAILED / TIMEOUT when every retry failed that way. Errors are counted,
 * never thrown.
 *
 * Imports nothing but node itself: fifty of these start on two cores.
 */

type Mode = 'claim-next' | 'claim-ids';

const out = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

function usage(message: string): never {
  process.stderr.write(`claimer: ${message}\n`);
  process.exit(2);
}

const required = (name: string): string => {
  const value = process.env[name]?.trim();
  if (!value) usage(`${name} is required`);
  return value;
};

const int = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) usage(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
};

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

interface Answer {
  ok: boolean;
  status: number;
  body: any;
  /** The error code of a failed answer (or FETCH_FAILED / TIMEOUT / HTTP_<status>). */
  code?: string;
}

async function main() {
  const gatewayUrl = required('GATEWAY_URL').replace(/\/+$/, '');
  const agentKey = required('AGENT_KEY');
  const employeeId = required('EMPLOYEE_ID');
  const mode = required('MODE') as Mode;
  if (mode !== 'claim-next' && mode !== 'claim-ids') usage(`MODE must be claim-next or claim-ids, got "${mode}"`);
  const taskIds = (process.env.TASK_IDS ?? '')
    .split(',')
    .map((id) => id.trim())
    .filter(Boolean);
  if (mode === 'claim-ids' && taskIds.length === 0) usage('MODE=claim-ids needs TASK_IDS');
  const startAt = int('START_AT', Date.now(), 0, Number.MAX_SAFE_INTEGER);
  const leaseTtlSec = int('LEASE_TTL_SEC', 600, 1, 86_400);
  const nullLimit = int('NULL_LIMIT', 3, 1, 1000);
  const nullPauseMs = int('NULL_PAUSE_MS', 100, 0, 10_000);
  const maxAttempts = int('MAX_ATTEMPTS', 200, 1, 100_000);
  const retries = int('RETRIES', 5, 0, 100);
  const requestTimeoutMs = int('REQUEST_TIMEOUT_MS', 20_000, 100, 600_000);
  const deadlineMs = int('DEADLINE_MS', 90_000, 1000, 3_600_000);

  out({ ready: true, pid: process.pid, readyAt: Date.now(), startAt });
  // Never wait forever for a START_AT far in the future (a mistake in the caller).
  await sleep(Math.min(startAt - Date.now(), deadlineMs));
  const startedAt = Date.now();
  const deadline = startedAt + deadlineMs;

  let attempts = 0;
  let requests = 0;
  let timedOut = false;
  const errors: Record<string, number> = {};
  const transient: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  const count = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);

  const send = async (path: string, body: unknown, commandId: string): Promise<Answer> => {
    requests++;
    const timeoutMs = Math.max(100, Math.min(requestTimeoutMs, deadline - Date.now()));
    try {
      const response = await fetch(`${gatewayUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json', accept: 'application/json', 'idempotency-key': commandId },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
      count(statuses, String(response.status));
      const text = await response.text();
      let parsed: any = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text;
      }
      if (response.ok) return { ok: true, status: response.status, body: parsed };
      const code = typeof parsed?.error?.code === 'string' ? parsed.error.code : `HTTP_${response.status}`;
      return { ok: false, status: response.status, body: parsed, code };
    } catch (error) {
      const name = (error as Error)?.name;
      const code = name === 'TimeoutError' || name === 'AbortError' ? 'TIMEOUT' : 'FETCH_FAILED';
      count(statuses, code);
      return { ok: false, status: 0, body: null, code };
    }
  };

  const isTransient = (answer: Answer) => answer.status === 0 || answer.status === 502 || answer.status === 503 || answer.status === 504;

  /** One claim: sent, and sent again with the same key while it fails transiently. */
  const post = async (path: string, body: unknown): Promise<Answer> => {
    attempts++;
    const commandId = randomUUID();
    for (let attempt = 0; ; attempt++) {
      const answer = await send(path, body, commandId);
      if (!answer.ok && isTransient(answer) && attempt < retries && Date.now() < deadline) {
        count(transient, answer.code!);
        await sleep(100 * 2 ** Math.min(attempt, 4) + Math.random() * 100);
        continue;
      }
      if (!answer.ok) count(errors, answer.code!);
      return answer;
    }
  };

  const report = (taskId: string, body: any) => out({ taskId, fencingToken: body.fencing_token, leaseExpiresAt: body.lease_expires_at });
  const outOfTime = () => {
    if (Date.now() >= deadline || attempts >= maxAttempts) timedOut = true;
    return timedOut;
  };

  if (mode === 'claim-ids') {
    for (const taskId of taskIds) {
      if (outOfTime()) break;
      const answer = await post(`/api/coord/tasks/${encodeURIComponent(taskId)}/claim`, { employee_id: employeeId, lease_ttl_sec: leaseTtlSec });
      if (answer.ok) report(taskId, answer.body);
    }
  } else {
    let nullsInARow = 0;
    while (nullsInARow < nullLimit && !outOfTime()) {
      const answer = await post('/api/coord/tasks/claim-next', { employee_id: employeeId, lease_ttl_sec: leaseTtlSec });
      if (answer.ok && answer.body?.task) {
        nullsInARow = 0;
        report(answer.body.task.task_id, answer.body);
      } else if (answer.ok) {
        nullsInARow++;
        await sleep(nullPauseMs);
      } else {
        // An error is no answer about the queue: do not count it as a null, but back off a little.
        await sleep(50 + Math.random() * 100);
      }
    }
  }

  out({ done: true, attempts, requests, errors, transient, statuses, startedAt, finishedAt: Date.now(), timedOut });
}

// Exit once stdout is flushed: keep-alive sockets must not hold the process open.
main().then(
  () => process.stdout.write('', () => process.exit(0)),
  (error) => {
    process.stderr.write(`claimer crashed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exit(1);
  },
);
