import { z } from 'zod';
import { boundedTimestamp, uuid } from '../validation';
import type { LedgerLine, UsageBreakdownRow, UsageTotals } from './usage-messages';

/** Answers of the usage queries the gateway shows that usage-messages.ts leaves open: the ledger's pages, all projects, one run. */

export const LEDGER_PAGE = { defaultLimit: 1000, maxLimit: 10_000 } as const;

/** A page of a project's ledger (`usage.qry.ledger`), oldest call first; `after` is the previous page's `next`. */
export const LedgerInput = z.strictObject({
  projectId: uuid(),
  after: z.string().min(1).max(200).optional(),
  limit: z.number().int().min(1).max(LEDGER_PAGE.maxLimit, `must be from 1 to ${LEDGER_PAGE.maxLimit}`).default(LEDGER_PAGE.defaultLimit),
  from: boundedTimestamp().optional(),
  to: boundedTimestamp().optional(),
});
export type LedgerInput = z.infer<typeof LedgerInput>;

export interface LedgerPage {
  lines: LedgerLine[];
  /** Where the next page starts (an opaque position), or null after the last line. */
  next: string | null;
}

/** Every project's usage (`usage.qry.all`). */
export const AllUsageInput = z.strictObject({
  from: boundedTimestamp().optional(),
  to: boundedTimestamp().optional(),
});
export type AllUsageInput = z.infer<typeof AllUsageInput>;

export interface AllUsageView {
  totals: UsageTotals;
  /** One row per project (`key` its id, `label` its name where known). */
  byProject: UsageBreakdownRow[];
  byModel: UsageBreakdownRow[];
  byDay: UsageBreakdownRow[];
  priceVersions: number[];
}

/** One run's cost (`usage.qry.run-cost`, RunCostInput): zero totals for a run with no priced call yet. */
export interface RunCostView extends UsageTotals {
  runId: string;
}
