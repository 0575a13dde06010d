import { execFile } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `npm run demo` as a user runs it: its own process, with servers named in the environment that it must ignore. */
function runDemo(): Promise<Finished> {
  return new Promise((resolve) => {
    const child = execFile('node', ['-r', '@swc-node/register', 'tools/demo/src/main.ts'], {
      cwd: join(__dirname, '..', '..', '..'),
      encoding: 'utf8',
      timeout: 80_000,
      env: {
        ...process.env,
        // Nothing listens there: the demo runs on PGlite and the in-process bus whatever these say.
        DATABASE_URL: 'postgres://nobody@127.0.0.1:1/nothing',
        NATS_URL: 'nats://127.0.0.1:1',
        AUTOCODER_AUTO_CONTINUE_DELAY_SEC: '0',
      },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: string) => (stdout += chunk));
    child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run demo', () => {
  let result: Finished;
  let home: string | undefined;

  beforeAll(async () => {
    result = await runDemo();
    const workspace = /^ {2}workspace +(\S+)$/m.exec(result.stdout)?.[1];
    home = workspace ? dirname(dirname(workspace)) : undefined;
  }, 90_000);
  afterAll(() => {
    if (home && /autocoder-demo-/.test(home)) rmSync(home, { recursive: true, force: true });
  });

  it('builds the math library on embedded defaults: every feature passing, the app tests green, exit 0', () => {
    expect({ code: result.code, stderr: result.stderr }).toEqual({ code: 0, stderr: '' });
    const out = result.stdout;
    expect(out).toMatch(/store: embedded Postgres \(PGlite\) {2}transport: in-process/);
    expect(out).toMatch(/^ {2}run +\S+: completed \(all_features_done\)$/m);
    expect(out).toMatch(/^ {2}features +4\/4 passing$/m);
    expect(out).toMatch(/^ {2}sessions +5 \(initializer 1, coding 4\)$/m);
    const tests = /^ {2}app tests +node --test --test-reporter=tap: (\d+) passed, (\d+) failed, exit (\d+)$/m.exec(out);
    expect(tests).not.toBeNull();
    expect(Number(tests![1])).toBeGreaterThanOrEqual(4);
    expect([tests![2], tests![3]]).toEqual(['0', '0']);
    expect(out.trimEnd().split('\n').at(-1)).toBe('DEMO OK');
  });

  it('shows the stream live and sums the tokens by bucket, with the cache hit ratio', () => {
    const out = result.stdout;
    // A line per stream entry, and a progress line as features pass.
    expect(out).toMatch(/tool_call +ToolCalled +feature_create_bulk/);
    expect(out).toMatch(/test +ToolResultRecorded +bash \(exit 0\) passed/);
    expect(out).toMatch(/── \[running\] features 2\/4 passing · sessions \d+ · tool calls \d+ · tokens [\d,]+/);
    expect(out).toMatch(/complete +RunCompleted/);
    const num = (s: string) => Number(s.replace(/,/g, ''));
    const tokens = /^ {2}tokens +input ([\d,]+) · output ([\d,]+) · cache write 5m ([\d,]+) · cache write 1h ([\d,]+) · cache read ([\d,]+) · total ([\d,]+)$/m.exec(out);
    expect(tokens).not.toBeNull();
    const [input, output, write5m, write1h, read, total] = tokens!.slice(1).map(num);
    expect(output).toBeGreaterThan(0);
    expect(read).toBeGreaterThan(0);
    expect(input + output + write5m + write1h + read).toBe(total);
    const hit = /^ {2}cache hit +([\d.]+)% \(cache read ([\d,]+) of ([\d,]+) input tokens\)$/m.exec(out);
    expect(hit).not.toBeNull();
    expect(num(hit![3])).toBe(input + write5m + write1h + read);
    expect(Number(hit![1])).toBeCloseTo((read / (input + write5m + write1h + read)) * 100, 1);
  });

  it('leaves the workspace with the code and its tests where the summary says', () => {
    const workspace = /^ {2}workspace +(\S+)$/m.exec(result.stdout)![1];
    expect(existsSync(join(workspace, 'package.json'))).toBe(true);
    expect(readdirSync(join(workspace, 'test')).length).toBeGreaterThanOrEqual(4);
  });
});
