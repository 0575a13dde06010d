import { AsyncLocalStorage } from 'node:async_hooks';
import { AutocoderError, ErrorCodes } from '@autocoder/contracts';

/**
 * The work one request may cause: at most `maxCalls` service calls in all, `maxConcurrent` at a time
 * (the rest wait their turn), so no single document can flood the services while others wait.
 */
export const BUS_BUDGET = { maxCalls: 100, maxConcurrent: 8 } as const;

export class BusBudget {
  private calls = 0;
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly maxCalls: number = BUS_BUDGET.maxCalls,
    readonly maxConcurrent: number = BUS_BUDGET.maxConcurrent,
  ) {}

  async spend<T>(call: () => Promise<T>): Promise<T> {
    this.calls += 1;
    if (this.calls > this.maxCalls) {
      throw new AutocoderError(
        ErrorCodes.PayloadTooLarge,
        `this request needs more than ${this.maxCalls} calls to the services; ask for less in one request (fewer fields, aliases or nested lists)`,
      );
    }
    if (this.running >= this.maxConcurrent) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
    try {
      return await call();
    } finally {
      this.running -= 1;
      this.waiting.shift()?.();
    }
  }
}

const budgets = new AsyncLocalStorage<BusBudget>();

/** Runs `fn` (one GraphQL operation) with a budget of its own; service calls inside it spend from it. */
export const withBusBudget = <T>(fn: () => T, budget = new BusBudget()): T => budgets.run(budget, fn);
export const currentBusBudget = (): BusBudget | undefined => budgets.getStore();
