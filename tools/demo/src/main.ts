import { runDemo, type DemoResult } from './demo';
import { allInput, cacheHitRatio, n } from './format';

/** `npm run demo`: a whole run on embedded defaults, then its summary; exit 0 only if every feature passes and the app's tests are green. */
export function summaryLines(result: DemoResult): string[] {
  const { run, tests } = result;
  const u = run.usage;
  const sessions = run.sessions ?? [];
  const kinds = [...new Set(sessions.map((s) => s.kind))].map((kind) => `${kind} ${sessions.filter((s) => s.kind === kind).length}`).join(', ');
  return [
    'Summary',
    `  run            ${run.id}: ${run.status}${run.completion ? ` (${run.completion})` : run.reason ? ` (${run.reason})` : ''}`,
    `  features       ${run.feature_counts.passing}/${run.feature_counts.total} passing`,
    `  sessions       ${run.session_count}${kinds ? ` (${kinds})` : ''}`,
    `  model calls    ${run.model_calls}`,
    `  tool calls     ${run.tool_calls}`,
    `  tokens         input ${n(u.input)} · output ${n(u.output)} · cache write 5m ${n(u.cache_write_5m)} · cache write 1h ${n(u.cache_write_1h)} · cache read ${n(u.cache_read)} · total ${n(u.total)}`,
    `  cache hit      ${(cacheHitRatio(u) * 100).toFixed(1)}% (cache read ${n(u.cache_read)} of ${n(allInput(u))} input tokens)`,
    `  workspace      ${result.workspace}`,
    `  app tests      ${tests.command}: ${tests.passed} passed, ${tests.failed} failed, exit ${tests.exitCode}`,
    result.ok ? 'DEMO OK' : 'DEMO FAILED',
  ];
}

async function main(): Promise<number> {
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const delay = process.env.AUTOCODER_AUTO_CONTINUE_DELAY_SEC ?? '0';
  const result = await runDemo({
    log,
    timeoutMs: Number(process.env.DEMO_TIMEOUT_SEC ?? 120) * 1000,
    autoContinueDelaySec: Number(delay),
    logLevel: process.env.LOG_LEVEL ?? 'warn',
  });
  log('');
  for (const line of summaryLines(result)) log(line);
  return result.ok ? 0 : 1;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      console.error('DEMO FAILED:', error);
      // Exit now: a failure half-way may leave a server or timer behind.
      process.exit(1);
    },
  );
}
