import type { BudgetScope } from '@autocoder/contracts';
import type { ExistingBudget, OpenReservation } from './budget';

/** A budget's folded state as JSON (amounts as decimal picodollar strings), the way its read-model row keeps it. */
export interface BudgetRecord {
  scope: BudgetScope;
  scopeId: string;
  projectId: string;
  softPico: string | null;
  hardPico: string | null;
  spentPico: string;
  open: Record<string, Omit<OpenReservation, 'amountPico'> & { amountPico: string }>;
  warned: boolean;
  exhausted: boolean;
  recentSettled: string[];
}

const text = (v: bigint | null) => (v === null ? null : v.toString());
const big = (v: string | null) => (v === null ? null : BigInt(v));

export const recordOf = (b: ExistingBudget): BudgetRecord => ({
  scope: b.scope,
  scopeId: b.scopeId,
  projectId: b.projectId,
  softPico: text(b.softPico),
  hardPico: text(b.hardPico),
  spentPico: b.spentPico.toString(),
  open: Object.fromEntries(Object.entries(b.open).map(([id, r]) => [id, { ...r, amountPico: r.amountPico.toString() }])),
  warned: b.warned,
  exhausted: b.exhausted,
  recentSettled: [...b.recentSettled],
});

export const budgetOf = (r: BudgetRecord): ExistingBudget => ({
  exists: true,
  scope: r.scope,
  scopeId: r.scopeId,
  projectId: r.projectId,
  softPico: big(r.softPico),
  hardPico: big(r.hardPico),
  spentPico: BigInt(r.spentPico),
  open: Object.fromEntries(Object.entries(r.open).map(([id, o]) => [id, { ...o, amountPico: BigInt(o.amountPico) }])),
  warned: r.warned,
  exhausted: r.exhausted,
  recentSettled: r.recentSettled,
});
