import type { UsageTotals } from './usage-messages';

/**
 * Answers of usage queries that usage-messages.ts leaves unnamed, as the usage service gives them:
 * `usage.qry.all` (no input) answers one ProjectTotals per project, most expensive first;
 * `usage.qry.ledger` (ProjectUsageInput) answers the project's LedgerLine[] in call order;
 * `usage.qry.run-cost` (RunCostInput) answers the run's UsageTotals (zeros before its first priced call).
 */
export interface ProjectTotals extends UsageTotals {
  projectId: string;
}
