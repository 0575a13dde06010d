import type { FeatureCounts, Run, StreamEntry, Usage } from './views';

const number = new Intl.NumberFormat('en-US');
export const n = (value: number) => number.format(value);

export const features = (c: FeatureCounts) => `${c.passing}/${c.total} passing`;

export const tokens = (u: Usage) =>
  `input ${n(u.input)}, output ${n(u.output)}, cache write 5m ${n(u.cache_write_5m)}, cache write 1h ${n(u.cache_write_1h)}, cache read ${n(u.cache_read)} (total ${n(u.total)})`;

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
  ];
}

/** The live line while following: features passing and tokens used. */
export const progress = (run: Run) => `[${run.status}] features ${features(run.feature_counts)} · tokens ${n(run.usage.total)} (in ${n(run.usage.input)}, out ${n(run.usage.output)})`;

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
