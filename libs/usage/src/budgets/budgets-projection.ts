import type { BudgetEvent, BudgetView } from '@autocoder/contracts';
import type { Projection, Recorded } from '@autocoder/projections';
import type { EntityManager } from 'typeorm';
import { budgetDecider, budgetViewOf, type BudgetState, type ExistingBudget } from './budget';
import { budgetOf, recordOf, type BudgetRecord } from './budget-record';

const budgetEventTypes: BudgetEvent['type'][] = ['BudgetSet', 'BudgetReserved', 'BudgetSettled', 'BudgetReleased', 'BudgetWarningRaised', 'BudgetExhausted'];
const keyOf = (d: { scope: string; scopeId: string }) => `${d.scope}/${d.scopeId}`;

/**
 * Every budget's state (spent, reserved, warned, exhausted), folded with the decider's own `evolve`,
 * for the budgets list. Reports the budgets a batch warned about or exhausted: those are the alerts.
 */
export class BudgetsProjection implements Projection<BudgetEvent, BudgetView> {
  readonly name = 'usage.budgets';
  readonly tables: string[];
  readonly eventTypes = budgetEventTypes;

  constructor(private readonly schema: string) {
    this.tables = [`${schema}.budgets`];
  }

  async apply(events: Recorded<BudgetEvent>[], tx: EntityManager): Promise<BudgetView[]> {
    const states = new Map<string, BudgetState>();
    const keys = [...new Set(events.map((e) => keyOf(e.data)))];
    const rows: { scope: string; scope_id: string; state: BudgetRecord }[] = await tx.query(
      `SELECT scope, scope_id, state FROM ${this.schema}.budgets WHERE scope || '/' || scope_id = ANY($1::text[])`,
      [keys],
    );
    for (const row of rows) states.set(`${row.scope}/${row.scope_id}`, budgetOf(row.state));
    const alerts = new Set<string>();
    const updatedAt = new Map<string, string>();
    for (const event of events) {
      const key = keyOf(event.data);
      states.set(key, budgetDecider.evolve(states.get(key) ?? budgetDecider.initialState, { type: event.type, data: event.data } as BudgetEvent));
      updatedAt.set(key, event.recordedAt);
      if (event.type === 'BudgetWarningRaised' || event.type === 'BudgetExhausted') alerts.add(key);
    }
    for (const key of updatedAt.keys()) {
      const state = states.get(key)!;
      if (!state.exists) continue;
      await tx.query(
        `INSERT INTO ${this.schema}.budgets (scope, scope_id, project_id, state, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (scope, scope_id) DO UPDATE SET project_id = EXCLUDED.project_id, state = EXCLUDED.state, updated_at = EXCLUDED.updated_at`,
        [state.scope, state.scopeId, state.projectId, JSON.stringify(recordOf(state)), updatedAt.get(key)],
      );
    }
    return [...alerts].map((key) => states.get(key)).filter((s): s is ExistingBudget => !!s?.exists).map(budgetViewOf);
  }
}
