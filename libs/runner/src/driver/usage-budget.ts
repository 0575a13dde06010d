import { ErrorCodes, Subjects, isAutocoderError, type ReservationAnswer, type ReserveBudgetInput } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { randomUUID } from 'node:crypto';

/** What the usage service says before a model call: make it, or pause the run for this reason. */
export type BudgetDecision = { ok: true; answer: ReservationAnswer } | { ok: false; reason: string };

/** Asks for a reservation before every model call. */
export interface BudgetGate {
  reserve(call: ReserveBudgetInput, signal: AbortSignal): Promise<BudgetDecision>;
}

/**
 * The input tokens a request is about to send, estimated from its size: a token is about four
 * characters of English or code, and the JSON of the request (system, tools, messages) is what the
 * API tokenises, give or take its framing. Rounded up; the reservation is a ceiling, settled with the
 * real usage afterwards, so an estimate on the high side only holds a little more for a moment.
 */
export const estimateInputTokens = (request: unknown): number => Math.ceil(JSON.stringify(request).length / 4);

export interface UsageBudgetOptions {
  /** Attempts at a usage service that does not answer, before the run pauses with `usage_unavailable`. */
  attempts?: number;
  /** First wait between attempts; doubled for each further one. */
  firstDelayMs?: number;
  /** How long one attempt waits for an answer. */
  timeoutMs?: number;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => (clearTimeout(timer), signal.removeEventListener('abort', done), resolve());
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });

/**
 * The usage service's budgets, over the bus. A refusal (BUDGET_EXHAUSTED) pauses the run with the
 * budget it names: `budget_exhausted: project budget <id> ($5 hard limit)`. A service that does not
 * answer is tried again briefly with backoff, then the run pauses with `usage_unavailable` rather
 * than spend without a meter.
 */
export class UsageBudgetClient implements BudgetGate {
  private readonly attempts: number;
  private readonly firstDelayMs: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly bus: MessageBus,
    private readonly logger: Logger,
    options: UsageBudgetOptions = {},
  ) {
    this.attempts = options.attempts ?? 4;
    this.firstDelayMs = options.firstDelayMs ?? 250;
    this.timeoutMs = options.timeoutMs ?? 5000;
  }

  async reserve(call: ReserveBudgetInput, signal: AbortSignal): Promise<BudgetDecision> {
    let last: unknown;
    for (let attempt = 1; attempt <= this.attempts && !signal.aborted; attempt++) {
      try {
        const answer = await this.bus.request<ReservationAnswer>(
          Subjects.usage.reserve,
          { commandId: randomUUID(), correlationId: call.runId, actor: { kind: 'system', name: 'runner' }, payload: call },
          this.timeoutMs,
        );
        return { ok: true, answer };
      } catch (error) {
        if (isAutocoderError(error, ErrorCodes.BudgetExhausted)) {
          const budget = error.details?.find((d) => d.path === 'budget')?.message ?? error.message;
          return { ok: false, reason: `budget_exhausted: ${budget}` };
        }
        last = error;
        if (attempt === 1) this.logger.warn({ err: error, sessionId: call.sessionId, turn: call.turn }, 'the usage service did not take the reservation; trying again');
        if (attempt < this.attempts) await sleep(this.firstDelayMs * 2 ** (attempt - 1), signal);
      }
    }
    const message = last instanceof Error ? last.message : 'no answer';
    return { ok: false, reason: `usage_unavailable: the usage service did not take the reservation for the next model call (${message})` };
  }
}
