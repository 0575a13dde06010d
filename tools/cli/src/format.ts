import type { Budget, FeatureCounts, Run, StreamEntry, Usage, UsageRow, UsageTotals } from './views';

const number = new Intl.NumberFormat('en-US');
export const n = (value: number) => number.format(value);

export const features = (c: FeatureCounts) => `${c.passing}/${c.total} passing`;

export const tokens = (u: Usage) =>
  `input ${n(u.input)}, output ${n(u.output)}, cache write 5m ${n(u.cache_write_5m)}, cache write 1h ${n(u.cache_write_1h)}, cache read ${n(u.cache_read)} (total ${n(u.total)})`;

/**
 * An exact dollar string as a person reads it: `$0.0123`, rounded half up to 4 decimals, without
 * floats (the gateway's amounts have up to 12). A cost too small to show is `<$0.0001`, never `$0.0000`.
 */
export function dollars(usd: string | null | undefined): string {
  if (usd === null || usd === undefined) return '$?';
  const match = /^(\d+)(?:\.(\d+))?$/.exec(usd);
  if (!match) return `$${usd}`;
  const [, whole, fraction = ''] = match;
  const tenThousandths = BigInt(whole + fraction.padEnd(4, '0').slice(0, 4)) + (fraction.length > 4 && fraction[4] >= '5' ? 1n : 0n);
  if (tenThousandths === 0n && /[1-9]/.test(fraction)) return '<$0.0001';
  return `$${number.format(tenThousandths / 10_000n)}.${(tenThousandths % 10_000n).toString().padStart(4, '0')}`;
}

const plural = (count: number, one: string, many = `${one}s`) => `${n(count)} ${count === 1 ? one : many}`;

/** A cost with its caveat: calls of a model the price table does not know are priced at a stand-in. */
export const costOf = (usd: string, unknownModelCalls: number) =>
  `${dollars(usd)}${unknownModelCalls ? ` (${plural(unknownModelCalls, 'call')} of a model not in the price table, priced at the fallback)` : ''}`;

/** A run's cost, or that it is not known now (the usage service did not answer). */
export const runCost = (run: Run) => (typeof run.cost_usd === 'string' ? costOf(run.cost_usd, run.unknown_model_calls ?? 0) : `unknown (${run.cost_unavailable ?? 'the gateway did not say'})`);

/** `autocoder status <runId>`: what a person checks on a run. */
export function runStatus(run: Run): string[] {
  const c = run.feature_counts;
  return [
    `run ${run.id}: ${run.status}${run.reason ? ` (${run.reason})` : ''}${run.completion ? ` [${run.completion}]` : ''}`,
    `  project   ${run.project_id}`,
    `  model     ${run.model}${run.yolo ? ' (yolo: no test gate)' : ''}`,
    `  features  ${features(c)} (${c.in_progress} in progress, ${c.failing} failing, ${c.pending} pending, ${c.skipped} skipped)`,
    `  sessions  ${run.session_count}, model calls ${n(run.model_calls)}, tool calls ${n(run.tool_calls)}`,
    `  tokens    ${tokens(run.usage)}`,
    `  cost      ${runCost(run)}`,
  ];
}

/** The live line while following: features passing, tokens used and what they cost (`$?` while unknown). */
export const progress = (run: Run) =>
  `[${run.status}] features ${features(run.feature_counts)} · tokens ${n(run.usage.total)} (in ${n(run.usage.input)}, out ${n(run.usage.output)}) · ${dollars(run.cost_usd)}`;

/** `autocoder usage <projectId>`: the totals, then one line per feature, most expensive first. */
export function projectUsageLines(projectId: string, totals: UsageTotals, byFeature: UsageRow[]): string[] {
  const rows = [...byFeature].sort((a, b) => compareUsd(b.cost_usd, a.cost_usd));
  const costs = rows.map((r) => dollars(r.cost_usd));
  const width = Math.max(0, ...costs.map((c) => c.length));
  return [
    `project ${projectId}: ${plural(totals.calls, 'model call')}, ${costOf(totals.cost_usd, totals.unknown_model_calls)}`,
    `  tokens  ${tokens(totals.usage)}`,
    rows.length ? 'by feature:' : 'by feature: no calls attributed to a feature yet',
    ...rows.map((r, i) => `  ${costs[i].padStart(width)}  ${plural(r.calls, 'call').padEnd(10)} ${`${n(r.usage.total)} tokens`.padEnd(18)} ${r.label ? `${r.label} (${r.key})` : r.key || '(no feature: the initializer and other work outside one)'}`),
  ];
}

/** One budget as a line: its limits, what it has spent and holds, and whether it warns or stops. */
export function budgetLine(b: Budget): string {
  const limits = `soft ${b.soft_usd === null ? 'none' : dollars(b.soft_usd)}, hard ${b.hard_usd === null ? 'none' : dollars(b.hard_usd)}`;
  const state = b.exhausted ? ' — exhausted: its calls are refused' : b.warned ? ' — past its soft threshold' : '';
  return `${b.scope} budget ${b.scope_id}: ${limits}; spent ${dollars(b.spent_usd)}, held ${dollars(b.reserved_usd)}${state}`;
}

/** Orders exact dollar strings without floats. */
export function compareUsd(a: string, b: string): number {
  const scale = (v: string) => {
    const [whole, fraction = ''] = v.split('.');
    return BigInt(whole + fraction.padEnd(12, '0').slice(0, 12));
  };
  const [x, y] = [scale(a), scale(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Where a stream entry belongs among the log levels, for `logs --follow --level`. */
export const levelOf = (type: string) => (type === 'error' ? 'error' : type === 'tool_call' || type === 'tool_result' ? 'debug' : 'info');
export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const atLeast = (level: string, min: string | undefined) => !min || LEVELS.indexOf(level as never) >= LEVELS.indexOf(min as never);

const short = (value: unknown, max = 160) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const line = (text ?? '').replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** One stream entry as a line of the log. */
export function entryLine(type: string, entry: StreamEntry): string {
  const d = entry.data ?? {};
  const what =
    type === 'tool_call'
      ? `${d.name ?? 'tool'} ${short(d.input ?? '')}`
      : type === 'tool_result'
        ? `${d.name ?? 'tool'}${d.isError ? ' failed' : ''}${d.exitCode !== undefined && d.exitCode !== null ? ` (exit ${d.exitCode})` : ''}${d.content ? `: ${short(d.content)}` : ''}`
        : short(d);
  return `${entry.at} ${type.padEnd(11)} ${what}`;
}
