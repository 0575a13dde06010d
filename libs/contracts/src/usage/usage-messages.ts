import { z } from 'zod';
import { boundedTimestamp, uuid } from '../validation';
import type { ModelUsage } from '../runner/session-events';
import { BudgetScopes, type BudgetScope, type PriceMatch } from './usage-events';

/** A dollar amount as given by a person: a non-negative number (or decimal string), at most 1e9. */
export const usdAmount = z
  // The union's own message: without it a boolean or an object is only "Invalid input".
  .union([z.number(), z.string()], { message: 'must be a number of dollars (e.g. 25 or "0.5")' })
  .transform((v, ctx) => {
    const text = typeof v === 'number' ? String(v) : v.trim();
    if (!/^\d+(\.\d{1,12})?$/.test(text) || Number(text) > 1e9) {
      ctx.addIssue({ code: 'custom', message: 'must be a number of dollars from 0 to 1000000000, with at most 12 decimals (e.g. 25 or 0.5)' });
      return z.NEVER;
    }
    return text;
  });

export const SetBudgetInput = z.strictObject({
  scope: z.enum(BudgetScopes, { message: `must be one of ${BudgetScopes.join(', ')}` }),
  scopeId: uuid(),
  /** The project the run or feature belongs to (the project itself for a project budget). */
  projectId: uuid(),
  softUsd: usdAmount.nullable().optional(),
  hardUsd: usdAmount.nullable().optional(),
});
export type SetBudgetInput = z.infer<typeof SetBudgetInput>;

const tokens = (what: string) =>
  z.number({ message: `must be a whole number of ${what}` }).int(`must be a whole number of ${what}`).min(0, `must be 0 or more ${what}`);

/** What the runner asks before a model call: hold this estimate against every budget that applies. */
export const ReserveBudgetInput = z.strictObject({
  projectId: uuid(),
  runId: uuid(),
  featureId: uuid().nullable(),
  sessionId: uuid(),
  turn: tokens('turns'),
  model: z.string().min(1).max(200),
  maxTokens: tokens('tokens'),
  inputTokens: tokens('tokens'),
});
export type ReserveBudgetInput = z.infer<typeof ReserveBudgetInput>;

export const ProjectUsageInput = z.strictObject({
  projectId: uuid(),
  from: boundedTimestamp().optional(),
  to: boundedTimestamp().optional(),
});
export type ProjectUsageInput = z.infer<typeof ProjectUsageInput>;

export const UsageSeriesInput = z.strictObject({
  projectId: uuid().optional(),
  bucket: z.enum(['hour', 'day'], { message: 'must be hour or day' }).default('day'),
  from: boundedTimestamp().optional(),
  to: boundedTimestamp().optional(),
});
export type UsageSeriesInput = z.infer<typeof UsageSeriesInput>;

export const RunCostInput = z.strictObject({ runId: uuid() });
export const EstimateInput = z.strictObject({ projectId: uuid() });
export const BudgetsInput = z.strictObject({ projectId: uuid() });
export const RecostInput = z.strictObject({
  /** Only calls priced with this version (default: every call not priced with the current one). */
  fromVersion: z.number().int().min(1).optional(),
});
export type RecostInput = z.infer<typeof RecostInput>;

/** Token buckets and their exact cost; `unknownModelCalls` > 0 means part of it is priced at the fallback. */
export interface UsageTotals {
  calls: number;
  usage: ModelUsage;
  costUsd: string;
  unknownModelCalls: number;
}

export interface UsageBreakdownRow extends UsageTotals {
  key: string;
  /** A readable name where there is one (a feature's name, a model id, a day). */
  label: string | null;
}

export interface ProjectUsageView {
  projectId: string;
  totals: UsageTotals;
  byFeature: UsageBreakdownRow[];
  bySession: UsageBreakdownRow[];
  byRun: UsageBreakdownRow[];
  byModel: UsageBreakdownRow[];
  byDay: UsageBreakdownRow[];
  /** Price versions the calls were priced with. */
  priceVersions: number[];
}

export interface UsageSeriesPoint extends UsageTotals {
  at: string;
}

/** One ledger line, as the CSV export writes it. */
export interface LedgerLine {
  callId: string;
  calledAt: string;
  projectId: string;
  runId: string;
  sessionId: string;
  featureId: string | null;
  taskId: string | null;
  turn: number;
  model: string;
  match: PriceMatch;
  unknownModel: boolean;
  longContext: boolean;
  priceVersion: number;
  usage: ModelUsage;
  costUsd: string;
}

export interface BudgetView {
  scope: BudgetScope;
  scopeId: string;
  projectId: string;
  softUsd: string | null;
  hardUsd: string | null;
  spentUsd: string;
  reservedUsd: string;
  warned: boolean;
  exhausted: boolean;
}

export interface ReservationAnswer {
  reservationId: string;
  amountUsd: string;
  /** Budgets past their soft threshold after this reservation. */
  warnings: BudgetView[];
}

export interface UsageEstimate {
  projectId: string;
  remainingFeatures: number;
  estimatedCostUsd: string;
  estimatedTokens: number;
  estimatedSeconds: number;
  /** Where the per-feature averages come from. */
  basis: 'project' | 'all_projects' | 'none';
  /** How many completed features the averages rest on. */
  basedOnFeatures: number;
  method: string;
}

/** What `usage.evt.usage.updated` carries: a project's new totals, for the live cost badge. */
export interface UsageUpdated {
  projectId: string;
  totals: UsageTotals;
  callId: string;
  calledAt: string;
}

/** What the recost command did: calls priced again under the current price version. */
export interface RecostAnswer {
  toVersion: number;
  /** Calls priced with another version that were looked at. */
  examined: number;
  /** Calls whose price changed (one CallRecosted each). */
  recosted: number;
  /** Calls whose price is the same under the current version (nothing recorded). */
  unchanged: number;
}
