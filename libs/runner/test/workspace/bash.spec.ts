import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { detectSandbox, directSandbox, openWorkspace, runCommand, type BashResult, type Sandbox, type Workspace } from '../../src/workspace';

/** The pids of processes whose command line is exactly `sleep <seconds>` for any of the marks. */
function sleeping(marks: number[]): number[] {
  const wanted = new Set(marks.map((m) => `sleep ${m}`));
  return execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().match(/^(\d+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null && wanted.has(m[2].trim()))
    .map((m) => Number(m[1]));
}

async function until(condition: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 25));
  }
}

const body = (r: BashResult): Record<string, unknown> => JSON.parse(r.content) as Record<string, unknown>;

const detached = (seconds: number): string =>
  `node -e "require('child_process').spawn('sleep', ['${seconds}'], { detached: true, stdio: 'ignore' }).unref()"`;

let base: string;
beforeAll(() => {
  base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ws-bash-')));
});
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

const probe = detectSandbox(os.tmpdir(), false);
const modes: Array<[string, () => Sandbox]> = [['directly', () => directSandbox('test: unsandboxed')]];
if (probe.isolated) modes.push(['in bubblewrap', () => detectSandbox(base, false)]);

describe.each(modes)('bash runs %s', (_mode, sandboxOf) => {
  let sandbox: Sandbox;
  beforeAll(() => {
    sandbox = sandboxOf();
  });

  it('answers exit code and output as JSON', async () => {
    const r = await runCommand(sandbox, base, 'echo out; echo err >&2; exit 3');
    expect(r).toMatchObject({ isError: true, exitCode: 3, timedOut: false, truncated: false, command: 'echo out; echo err >&2; exit 3' });
    expect(body(r)).toMatchObject({ exit_code: 3, timed_out: false, stdout: 'out\n', stderr: 'err\n' });
    expect(await runCommand(sandbox, base, 'true')).toMatchObject({ isError: false, exitCode: 0 });
  });

  it('keeps the tail of a long output and reports its full size', async () => {
    const r = await runCommand(sandbox, base, `node -e "process.stdout.write('a'.repeat(100000) + 'THE END')"`);
    expect(r).toMatchObject({ exitCode: 0, truncated: true, originalBytes: 100_007 });
    const out = body(r).stdout as string;
    expect(out.endsWith('THE END')).toBe(true);
    expect(out.length).toBeLessThan(20_100);
    expect(body(r)).toMatchObject({ stdout_bytes: 100_007, truncated: true });
  });

  it('kills the whole tree on timeout: background jobs, grandchildren and detached processes', async () => {
    const marks = [371, 372, 373, 374];
    const started = Date.now();
    const run = runCommand(sandbox, base, `sleep 371 & (sleep 372 &) ; ${detached(373)}; sleep 374`, { timeoutSec: 1 });
    await until(() => sleeping(marks).length === 4);
    const r = await run;
    expect(r).toMatchObject({ isError: true, timedOut: true, exitCode: null });
    expect(body(r).note).toBe('timed out after 1 s; the command and everything it started were killed');
    expect(Date.now() - started).toBeLessThan(4000);
    expect(sleeping(marks)).toEqual([]);
  });

  it('kills the whole tree on abort', async () => {
    const marks = [375, 376, 377];
    const stop = new AbortController();
    const run = runCommand(sandbox, base, `sleep 375 & ${detached(376)}; sleep 377`, { signal: stop.signal });
    await until(() => sleeping(marks).length === 3);
    stop.abort();
    const r = await run;
    expect(r).toMatchObject({ isError: true, aborted: true, timedOut: false, exitCode: null });
    expect(sleeping(marks)).toEqual([]);
  });

  it('ends what a finished command left running in the background', async () => {
    const started = Date.now();
    const r = await runCommand(sandbox, base, 'sleep 378 & echo started', { timeoutSec: 10 });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(sleeping([378])).toEqual([]);
  });
});

describe('the workspace bash tool', () => {
  let ws: Workspace;
  beforeAll(async () => {
    fs.mkdirSync(path.join(base, 'tool'));
    fs.writeFileSync(path.join(base, 'tool', 'x'), 'x');
    ws = await openWorkspace({ root: path.join(base, 'tool'), network: false });
  });

  it('refuses before running, naming the command and why', async () => {
    const r = await ws.bash('cat x > /etc/passwd-test');
    expect(r).toMatchObject({ isError: true, refused: true, exitCode: null, command: 'cat x > /etc/passwd-test' });
    expect(r.content).toBe(
      'refused: `cat x > /etc/passwd-test`: redirection to a path outside the workspace (`/etc/passwd-test`: absolute path outside the workspace (' +
        ws.root +
        '); give a path relative to the workspace)',
    );
    expect(fs.existsSync('/etc/passwd-test')).toBe(false);
    expect((await ws.bash('cp x /etc/y')).content).toContain('`cp x /etc/y`: `/etc/y`: absolute path outside the workspace');
    expect(fs.existsSync('/etc/y')).toBe(false);
  });

  it('runs allowed commands in the workspace', async () => {
    const r = await ws.bash('pwd && cat x');
    expect(r).toMatchObject({ isError: false, exitCode: 0 });
    expect(body(r).stdout).toBe(`${ws.root}\nx`);
  });

  it('says once whether commands run sandboxed', () => {
    expect(ws.sandbox.describe()).toMatch(probe.isolated ? /^bubblewrap: commands run sandboxed/ : /bubblewrap .*commands run unsandboxed/);
  });
});

describe('sandbox description without bubblewrap', () => {
  it('says commands run unsandboxed', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      const sandbox = detectSandbox(base, false);
      expect(sandbox.isolated).toBe(false);
      expect(sandbox.describe()).toBe('bubblewrap not found: commands run unsandboxed');
    } finally {
      process.env.PATH = saved;
    }
  });
});

const sandboxTitle = probe.isolated ? 'in bubblewrap' : `in bubblewrap (skipped: ${probe.describe()})`;
(probe.isolated ? describe : describe.skip)(sandboxTitle, () => {
  let root: string;
  let server: net.Server;
  let port: number;

  beforeAll(async () => {
    root = path.join(base, 'sandboxed');
    fs.mkdirSync(root);
    server = net.createServer((socket) => socket.end('hello'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('cannot write outside the workspace even with an allowed command', async () => {
    const ws = await openWorkspace({ root, network: false });
    const r = await ws.bash(`node -e "require('fs').writeFileSync('/etc/autocoder-sandbox-test', 'x')"`);
    expect(r).toMatchObject({ isError: true, refused: false, exitCode: 1 });
    expect(body(r).stderr).toContain('EROFS');
    expect(fs.existsSync('/etc/autocoder-sandbox-test')).toBe(false);
    const home = await ws.bash(`node -e "require('fs').writeFileSync(require('os').homedir() + '/autocoder-sandbox-test', 'x')"`);
    expect(body(home).stderr).toContain('EROFS');
  });

  it('writes in the workspace; /tmp is its own', async () => {
    const ws = await openWorkspace({ root, network: false });
    const r = await ws.bash(`node -e "const fs = require('fs'); fs.writeFileSync('inside.txt', 'ok'); fs.writeFileSync('/tmp/autocoder-sandbox-tmp', 'x')"`);
    expect(r).toMatchObject({ isError: false, exitCode: 0 });
    expect(fs.readFileSync(path.join(root, 'inside.txt'), 'utf8')).toBe('ok');
    expect(fs.existsSync('/tmp/autocoder-sandbox-tmp')).toBe(false);
  });

  it('sees only its own processes', async () => {
    const ws = await openWorkspace({ root, network: false });
    const r = await ws.bash('ps -e -o pid=,comm=');
    const lines = (body(r).stdout as string).trim().split('\n');
    expect(lines.length).toBeLessThanOrEqual(4); // bwrap's init, bash, ps
    expect(lines.join('\n')).not.toContain('jest');
  });

  const connect = (p: number): string =>
    `node -e "require('net').connect(${p}, '127.0.0.1').on('data', (d) => { console.log(String(d)); process.exit(0) }).on('error', (e) => { console.log(e.code); process.exit(3) })"`;

  it('blocks the network when the project has it off', async () => {
    const ws = await openWorkspace({ root, network: false });
    const r = await ws.bash(connect(port), { timeoutSec: 10 });
    expect(r).toMatchObject({ exitCode: 3 });
    expect(body(r).stdout).toMatch(/ECONNREFUSED|ENETUNREACH/);
  });

  it('allows the network when the project has it on', async () => {
    const ws = await openWorkspace({ root, network: true });
    const r = await ws.bash(connect(port), { timeoutSec: 10 });
    expect(r).toMatchObject({ exitCode: 0 });
    expect(body(r).stdout).toBe('hello\n');
  });
});
