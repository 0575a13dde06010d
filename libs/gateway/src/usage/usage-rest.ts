import type { BudgetView, ProjectTotals, LedgerLine, ProjectUsageView, UsageBreakdownRow, UsageEstimate, UsageSeriesPoint, UsageTotals, UsageUpdated } from '@autocoder/contracts';
import { restUsage } from '../runner/runner-rest';
import type { RunCostAnswer } from './usage-client';

/** The usage service's views in the REST payloads' snake_case. Dollars stay exact decimal strings. */

export const restTotals = (t: UsageTotals) => ({ calls: t.calls, usage: restUsage(t.usage), cost_usd: t.costUsd, unknown_model_calls: t.unknownModelCalls });

export const restRow = (r: UsageBreakdownRow) => ({ key: r.key, label: r.label, ...restTotals(r) });

export const restProjectUsage = (v: ProjectUsageView) => ({
  project_id: v.projectId,
  totals: restTotals(v.totals),
  by_feature: v.byFeature.map(restRow),
  by_session: v.bySession.map(restRow),
  by_run: v.byRun.map(restRow),
  by_model: v.byModel.map(restRow),
  by_day: v.byDay.map(restRow),
  price_versions: v.priceVersions,
});

/**
 * GET /api/usage: every project's totals (`by_project`, most expensive first, `label` the project's
 * name where the runner knows it) and their sum, added up exactly here.
 */
export const restAllUsage = (projects: ProjectTotals[], names: Map<string, string>) => ({
  totals: restTotals(sumTotals(projects)),
  by_project: projects.map((p) => ({ key: p.projectId, label: names.get(p.projectId) ?? null, ...restTotals(p) })),
});

const PICO_PER_USD = 10n ** 12n;
const usdToPico = (usd: string) => {
  const [whole, fraction = ''] = usd.split('.');
  return BigInt(whole) * PICO_PER_USD + BigInt(fraction.padEnd(12, '0'));
};
const picoToUsd = (pico: bigint) => {
  const fraction = (pico % PICO_PER_USD).toString().padStart(12, '0').replace(/0+$/, '');
  return `${pico / PICO_PER_USD}${fraction ? `.${fraction}` : ''}`;
};

/** Totals added up with exact dollars (picodollars as bigint, as the usage service sums them). */
export function sumTotals(all: UsageTotals[]): UsageTotals {
  const sum: UsageTotals = { calls: 0, usage: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 }, costUsd: '0', unknownModelCalls: 0 };
  let pico = 0n;
  for (const t of all) {
    sum.calls += t.calls;
    sum.unknownModelCalls += t.unknownModelCalls;
    for (const bucket of ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'] as const) sum.usage[bucket] += t.usage[bucket];
    pico += usdToPico(t.costUsd);
  }
  return { ...sum, costUsd: picoToUsd(pico) };
}

export const restSeriesPoint = (p: UsageSeriesPoint) => ({ at: p.at, ...restTotals(p) });

export const restBudget = (b: BudgetView) => ({
  scope: b.scope,
  scope_id: b.scopeId,
  project_id: b.projectId,
  soft_usd: b.softUsd,
  hard_usd: b.hardUsd,
  spent_usd: b.spentUsd,
  reserved_usd: b.reservedUsd,
  warned: b.warned,
  exhausted: b.exhausted,
});

export const restEstimate = (e: UsageEstimate) => ({
  project_id: e.projectId,
  remaining_features: e.remainingFeatures,
  estimated_cost_usd: e.estimatedCostUsd,
  estimated_tokens: e.estimatedTokens,
  estimated_seconds: e.estimatedSeconds,
  basis: e.basis,
  based_on_features: e.basedOnFeatures,
  method: e.method,
});

export const restUsageUpdated = (u: UsageUpdated) => ({ project_id: u.projectId, call_id: u.callId, called_at: u.calledAt, totals: restTotals(u.totals) });

/**
 * What GET /api/agent-runs/:id adds to the run: its cost, or nulls and the reason when the usage
 * service did not answer (`cost_unavailable`, null when the cost is there).
 */
export const restRunCost = (answer: RunCostAnswer) =>
  answer.ok
    ? { cost_usd: answer.cost.costUsd, unknown_model_calls: answer.cost.unknownModelCalls, cost_unavailable: null }
    : { cost_usd: null, unknown_model_calls: null, cost_unavailable: answer.reason };

/** The CSV export's columns, in order: the header row. */
export const LEDGER_CSV_COLUMNS = [
  'call_id',
  'called_at',
  'project_id',
  'run_id',
  'session_id',
  'feature_id',
  'task_id',
  'turn',
  'model',
  'match',
  'unknown_model',
  'long_context',
  'price_version',
  'input_tokens',
  'output_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'cache_read_tokens',
  'cost_usd',
] as const;

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
export const csvField = (value: string | number | boolean | null): string => {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export const csvRow = (fields: readonly (string | number | boolean | null)[]) => `${fields.map(csvField).join(',')}\r\n`;

/** One ledger line as a CSV row, in LEDGER_CSV_COLUMNS order. */
export const ledgerCsvRow = (l: LedgerLine) =>
  csvRow([
    l.callId,
    l.calledAt,
    l.projectId,
    l.runId,
    l.sessionId,
    l.featureId,
    l.taskId,
    l.turn,
    l.model,
    l.match,
    l.unknownModel,
    l.longContext,
    l.priceVersion,
    l.usage.input,
    l.usage.output,
    l.usage.cacheWrite5m,
    l.usage.cacheWrite1h,
    l.usage.cacheRead,
    l.costUsd,
  ]);
