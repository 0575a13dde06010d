// The fake as its own process, for tests and demos that run the runner elsewhere:
//   node -r @swc-node/register tools/fake-anthropic/src/main.ts --script mathlib --port 0 [--record requests.jsonl [--record-bodies]]
// Prints FAKE_ANTHROPIC_URL=http://127.0.0.1:NNNN once it listens, then serves until killed.
import { parseArgs } from 'node:util';
import { startFakeAnthropic } from './fake-anthropic';
import { SCRIPTS } from './scripts';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      script: { type: 'string', default: 'mathlib' },
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      record: { type: 'string' },
      'record-bodies': { type: 'boolean', default: false },
      'min-cacheable-tokens': { type: 'string' },
      'latency-ms': { type: 'string' },
    },
  });
  const script = SCRIPTS[values.script!];
  if (!script) throw new Error(`--script ${values.script}: unknown; expected one of ${Object.keys(SCRIPTS).join(', ')}`);
  const fake = await startFakeAnthropic({
    script,
    port: Number(values.port),
    host: values.host,
    recordPath: values.record,
    recordBodies: values['record-bodies'],
    minCacheableTokens: values['min-cacheable-tokens'] === undefined ? undefined : Number(values['min-cacheable-tokens']),
    latencyMs: values['latency-ms'] === undefined ? undefined : Number(values['latency-ms']),
  });
  console.log(`FAKE_ANTHROPIC_URL=${fake.url}`);
  const stop = () => void fake.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: Error) => {
  console.error(error.message);
  process.exit(1);
});
