import type { RestEntry, RestRun, RestUsage } from './rest-views';

const number = new Intl.NumberFormat('en-US');
export const n = (value: number) => number.format(value);

const short = (value: unknown, max = 100) => {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  const line = (text ?? '').replace(/\s+/g, ' ');
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
};

/** One stream entry as a line: its type, the stored event and what it says. */
export function entryLine(type: string, entry: RestEntry): string {
  const d = entry.data ?? {};
  const exit = d.exitCode !== undefined && d.exitCode !== null ? ` (exit ${String(d.exitCode)})` : '';
  const what =
    type === 'tool_call'
      ? `${String(d.name)} ${short(d.input ?? '')}`
      : type === 'tool_result' || type === 'test'
        ? `${String(d.name)}${d.isError ? ' failed' : ''}${exit}${type === 'test' ? (d.passed ? ' passed' : ' FAILED') : ''}`
        : entry.event_type === 'FeatureStatusChanged'
          ? `feature ${String(d.featureId).slice(0, 8)}: ${String(d.from)} -> ${String(d.to)}`
          : entry.event_type === 'ModelCallCompleted'
          ? `model call ${String(d.turn)}: ${String(d.stopReason)}, ${String(d.latencyMs)} ms`
          : short(d);
  return `  ${String(entry.seq).padStart(4)} ${type.padEnd(11)} ${entry.event_type.padEnd(20)} ${what}`;
}

export const allInput = (u: RestUsage) => u.input + u.cache_write_5m + u.cache_write_1h + u.cache_read;
/** Cache read as a share of every input token (uncached, written to the cache, read from it). */
export const cacheHitRatio = (u: RestUsage) => (allInput(u) === 0 ? 0 : u.cache_read / allInput(u));

export const progressLine = (run: RestRun) =>
  `  ── [${run.status}] features ${run.feature_counts.passing}/${run.feature_counts.total} passing · sessions ${run.session_count} · ` +
  `tool calls ${run.tool_calls} · tokens ${n(run.usage.total)}`;
