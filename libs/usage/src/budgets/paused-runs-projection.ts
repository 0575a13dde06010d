import type { BudgetScope, RunEvent } from '@autocoder/contracts';
import type { Projection, Recorded } from '@autocoder/projections';
import type { EntityManager } from 'typeorm';

type PausedRunsEvent = Extract<RunEvent, { type: 'RunPaused' | 'RunResumed' | 'RunStopped' | 'RunCompleted' | 'RunFailed' }>;

/** The prefix of a run paused for a budget; the rest names it: `budget_exhausted: <scope> budget <id> ($X hard limit)`. */
export const BUDGET_EXHAUSTED_REASON = 'budget_exhausted';

/** The budget a pause reason names, or null when the run was paused for something else. */
export function budgetOfPauseReason(reason: string): { scope: BudgetScope; scopeId: string } | null {
  const match = /^budget_exhausted: (project|run|feature) budget ([0-9a-f-]{36}) /.exec(reason);
  return match ? { scope: match[1] as BudgetScope, scopeId: match[2] } : null;
}

/**
 * The runs paused because a budget was exhausted, from the runner's own events (no runner table is
 * read): raising that budget resumes them. Any other pause, a resume or an end takes a run off.
 */
export class PausedRunsProjection implements Projection<PausedRunsEvent, unknown> {
  readonly name = 'usage.budget-paused-runs';
  readonly tables: string[];
  readonly eventTypes: PausedRunsEvent['type'][] = ['RunPaused', 'RunResumed', 'RunStopped', 'RunCompleted', 'RunFailed'];

  constructor(schema: string) {
    this.tables = [`${schema}.budget_paused_runs`];
  }

  async apply(events: Recorded<PausedRunsEvent>[], tx: EntityManager): Promise<unknown[]> {
    const table = this.tables[0];
    for (const event of events) {
      const budget = event.type === 'RunPaused' ? budgetOfPauseReason(event.data.reason) : null;
      if (event.type === 'RunPaused' && budget) {
        await tx.query(
          `INSERT INTO ${table} (run_id, scope, scope_id, reason, paused_at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (run_id) DO UPDATE SET scope = EXCLUDED.scope, scope_id = EXCLUDED.scope_id, reason = EXCLUDED.reason, paused_at = EXCLUDED.paused_at`,
          [event.data.runId, budget.scope, budget.scopeId, event.data.reason, event.data.pausedAt],
        );
      } else {
        await tx.query(`DELETE FROM ${table} WHERE run_id = $1`, [event.data.runId]);
      }
    }
    return [];
  }
}
