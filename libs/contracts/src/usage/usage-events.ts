import type { ModelUsage, UsageAttribution } from '../runner/session-events';

/**
 * Events of the usage service: the priced ledger (stream `usage-session-<sessionId>`, one event per
 * model call, in call order) and budgets (stream `budget-<scope>-<scopeId>`).
 *
 * Money is exact: amounts are decimal strings of whole picodollars (1e-12 USD), so sums never drift;
 * `costUsd` strings are the same amount in dollars, exact (no rounding).
 */

/** Cost per usage bucket, in picodollars, as decimal strings. */
export interface BucketCosts {
  input: string;
  output: string;
  cacheWrite5m: string;
  cacheWrite1h: string;
  cacheRead: string;
  total: string;
}

/** How a call's model was found in the price table. */
export type PriceMatch = 'exact' | 'pattern' | 'fallback';

export type CallPriced = {
  type: 'CallPriced';
  data: UsageAttribution & {
    /** The ModelCallCompleted event's id. */
    callId: string;
    turn: number;
    model: string;
    usage: ModelUsage;
    priceVersion: number;
    match: PriceMatch;
    /** Priced at the configured fallback: the model is not in the table. Flagged on every line and total. */
    unknownModel: boolean;
    /** The whole request was priced at the long-context rate (its input passed the model's threshold). */
    longContext: boolean;
    costs: BucketCosts;
    costUsd: string;
    /** When the model call completed (days of the rollups are UTC days of this time). */
    calledAt: string;
    pricedAt: string;
  };
};

/** A call priced again under another price version (the recost command): the old answer stays explainable. */
export type CallRecosted = {
  type: 'CallRecosted';
  data: {
    callId: string;
    sessionId: string;
    projectId: string;
    fromVersion: number;
    toVersion: number;
    match: PriceMatch;
    unknownModel: boolean;
    longContext: boolean;
    previousCostUsd: string;
    costs: BucketCosts;
    costUsd: string;
    recostedAt: string;
  };
};

export type LedgerEvent = CallPriced | CallRecosted;

/**
 * A model call the ledger could not price: its token counts are missing, negative or not whole
 * numbers. Recorded (not priced as 0, not skipped silently) so the gap shows; on the call's
 * `usage-session-<sessionId>` stream like its priced neighbours.
 */
export type CallNotPriced = {
  type: 'CallNotPriced';
  data: { callId: string; sessionId: string; projectId: string; runId: string; model: string; problems: string[]; recordedAt: string };
};

/** Everything on a `usage-session-<sessionId>` stream. */
export type UsageSessionEvent = LedgerEvent | CallNotPriced;

export const usageSessionStreamName = (sessionId: string) => `usage-session-${sessionId}`;

export const BudgetScopes = ['project', 'run', 'feature'] as const;
export type BudgetScope = (typeof BudgetScopes)[number];

export type BudgetSet = {
  type: 'BudgetSet';
  data: { scope: BudgetScope; scopeId: string; projectId: string; softUsd: string | null; hardUsd: string | null; setBy: string; setAt: string };
};
/** An estimate held against the budget before a model call (max_tokens at the output price plus the input about to be sent). */
export type BudgetReserved = {
  type: 'BudgetReserved';
  data: { scope: BudgetScope; scopeId: string; reservationId: string; sessionId: string; turn: number; amountPico: string; reservedAt: string };
};
/** The call's real cost replaces its estimate. */
export type BudgetSettled = {
  type: 'BudgetSettled';
  data: { scope: BudgetScope; scopeId: string; reservationId: string; sessionId: string; turn: number; costPico: string; settledAt: string };
};
/** An estimate given back without a call (the call failed or was never made). */
export type BudgetReleased = {
  type: 'BudgetReleased';
  data: { scope: BudgetScope; scopeId: string; reservationId: string; reason: string; releasedAt: string };
};
export type BudgetWarningRaised = {
  type: 'BudgetWarningRaised';
  data: { scope: BudgetScope; scopeId: string; projectId: string; spentUsd: string; softUsd: string; raisedAt: string };
};
export type BudgetExhausted = {
  type: 'BudgetExhausted';
  data: { scope: BudgetScope; scopeId: string; projectId: string; spentUsd: string; reservedUsd: string; hardUsd: string; refusedAmountUsd: string; exhaustedAt: string };
};

export type BudgetEvent = BudgetSet | BudgetReserved | BudgetSettled | BudgetReleased | BudgetWarningRaised | BudgetExhausted;

export const budgetStreamName = (scope: BudgetScope, scopeId: string) => `budget-${scope}-${scopeId}`;
