import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Subjects } from '@autocoder/contracts';
import { createGatewayApp } from '@autocoder/gateway';
import { InProcessBroker } from '@autocoder/messaging';
import { createLogger } from '@autocoder/platform';
import { ScriptedRunner, scriptedAgent } from '@autocoder/testing';
import type { INestApplication } from '@nestjs/common';

const BIN = resolve(__dirname, '../bin/autocoder.js');
const ADMIN = 'adm_cli_test_token';
const R = Subjects.runner;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `autocoder …` as a process; `whileRunning` gets its output so far and may script the runner meanwhile. */
function cli(args: string[], env: Record<string, string>, whileRunning?: (seen: () => string) => Promise<void>): Promise<Ran> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AUTOCODER_')));
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, cwd: resolve(__dirname, '../../..') });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<Ran>((done) => child.on('close', (code) => done({ code, stdout, stderr })));
  return whileRunning ? whileRunning(() => stdout).then(() => exited) : exited;
}

/** A port nothing listens on: one the system just handed out and took back. */
const closedPort = () =>
  new Promise<number>((done) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });

const until = async (check: () => boolean, timeoutMs = 15_000) => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('not reached in time');
    await new Promise((r) => setTimeout(r, 25));
  }
};

describe('autocoder CLI against a running gateway', () => {
  let app: INestApplication;
  let broker: InProcessBroker;
  let runner: ScriptedRunner;
  const agent = scriptedAgent();
  let url: string;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'autocoder-cli-'));

  beforeAll(async () => {
    broker = new InProcessBroker();
    runner = new ScriptedRunner(broker, [agent]);
    app = await createGatewayApp({ bus: broker, logger: createLogger('gateway', 'silent'), adminToken: ADMIN });
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    env = { AUTOCODER_URL: url, AUTOCODER_TOKEN: ADMIN };
  });
  afterAll(async () => {
    await app?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a project from a spec file and lists it', async () => {
    const spec = join(dir, 'app_spec.txt');
    writeFileSync(spec, 'Build a todo app with tags.');
    const added = await cli(['project', 'add', 'todo', '--spec', spec, '--path', 'work/todo', '--repo', 'https://example.com/t.git'], env);
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const payload = runner.sent(R.registerProject).at(-1)!.payload;
    expect(payload).toEqual({ name: 'todo', spec: 'Build a todo app with tags.', path: resolve(__dirname, '../../..', 'work/todo'), repositoryUrl: 'https://example.com/t.git', network: false });
    const projectId = [...runner.projects.values()].find((p) => p.name === 'todo')!.projectId;
    expect(added.stdout).toContain(`registered project todo: ${projectId}`);
    runner.addFeature(projectId, { status: 'passing' });
    runner.addFeature(projectId);

    const listed = await cli(['project', 'list'], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${projectId}  todo  features 1/2 passing`));
  });

  it('starts a run with its options, and shows its status with tokens by bucket', async () => {
    const project = runner.addProject({ name: 'runs' });
    const started = await cli(['run', project.projectId, '--yolo', '--model', 'claude-opus-4-5', '--max-sessions', '3'], env);
    expect(started.code).toBe(0);
    expect(runner.sent(R.startRun).at(-1)!.payload).toEqual({ projectId: project.projectId, yolo: true, model: 'claude-opus-4-5', maxSessions: 3 });
    const runId = /started run (\S+)/.exec(started.stdout)![1];
    runner.update(runId, {
      featureCounts: { pending: 1, in_progress: 0, passing: 2, failing: 0, skipped: 0, total: 3 },
      usage: { input: 1200, output: 340, cacheWrite5m: 10, cacheWrite1h: 0, cacheRead: 5000 },
    });

    const status = await cli(['status', runId], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`run ${runId}: running`);
    expect(status.stdout).toContain('features  2/3 passing');
    expect(status.stdout).toContain('input 1,200, output 340, cache write 5m 10, cache write 1h 0, cache read 5,000 (total 6,550)');

    const overview = await cli(['status'], env);
    expect(overview.stdout).toContain(`runs (${project.projectId}): features 0/0 passing`);
    expect(overview.stdout).toContain(`latest run ${runId}: running, tokens 6,550`);
  });

  it('pauses, resumes and stops a run', async () => {
    const run = runner.addRun(runner.addProject().projectId);
    expect((await cli(['pause', run.runId, '--reason', 'lunch'], env)).stdout).toContain(`run ${run.runId}: paused`);
    expect(runner.sent(R.pauseRun).at(-1)!.payload).toEqual({ runId: run.runId, reason: 'lunch' });
    expect((await cli(['resume', run.runId], env)).stdout).toContain('running');
    expect((await cli(['stop', run.runId], env)).stdout).toContain('stopped');
  });

  it('prints log lines by level', async () => {
    const run = runner.addRun(runner.addProject().projectId);
    runner.emit(run.runId, 'status', { status: 'running' });
    runner.emit(run.runId, 'error', { message: 'npm test failed' });
    const logs = await cli(['logs', run.runId, '--level', 'error'], env);
    expect(logs.code).toBe(0);
    expect(logs.stdout.trim().split('\n')).toEqual([expect.stringMatching(/ error error: npm test failed$/)]);
  });

  it('follows a live run to its end with a progress line of features and tokens', async () => {
    const project = runner.addProject();
    const run = runner.addRun(project.projectId, { featureCounts: { pending: 2, in_progress: 0, passing: 0, failing: 0, skipped: 0, total: 2 } });
    runner.emit(run.runId, 'status', { status: 'running' });
    const followed = await cli(['logs', run.runId, '--follow'], env, async (seen) => {
      await until(() => seen().includes('status'));
      runner.emit(run.runId, 'tool_call', { name: 'bash', input: { command: 'npm test' } });
      runner.update(run.runId, {
        featureCounts: { pending: 1, in_progress: 0, passing: 1, failing: 0, skipped: 0, total: 2 },
        usage: { input: 1000, output: 200, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
      });
      runner.emit(run.runId, 'feature', { featureId: 'f1', to: 'passing' });
      await until(() => seen().includes('feature'));
      runner.update(run.runId, { status: 'completed' });
      runner.finish(run.runId);
    });
    expect(followed.code).toBe(0);
    const lines = followed.stdout.trim().split('\n');
    expect(lines.slice(0, -1).map((l) => l.split(/\s+/)[1])).toEqual(['status', 'tool_call', 'feature', 'complete']);
    expect(lines[1]).toContain('bash {"command":"npm test"}');
    expect(lines.at(-1)).toBe(`run ${run.runId} ended: completed (all_features_done); features 1/2 passing; tokens 1,200`);
    expect(followed.stderr).toContain('[running] features 0/2 passing · tokens 0');
    expect(followed.stderr).toContain('features 1/2 passing · tokens 1,200 (in 1,000, out 200)');
  });

  it('reads the admin token from AUTOCODER_HOME, as the gateway writes it', async () => {
    const home = join(dir, 'home');
    mkdirSync(home, { recursive: true });
    writeFileSync(join(home, 'admin-token'), `${ADMIN}\n`);
    const listed = await cli(['project', 'list'], { AUTOCODER_URL: url, AUTOCODER_HOME: home });
    expect(listed.code).toBe(0);
    expect(listed.stderr).toBe('');
  });

  it('says clearly what went wrong and exits non-zero', async () => {
    const closed = await closedPort();
    const unreachable = await cli(['project', 'list', '--url', `http://127.0.0.1:${closed}`], { AUTOCODER_TOKEN: ADMIN });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toBe(`autocoder: cannot reach the gateway at http://127.0.0.1:${closed} (ECONNREFUSED): is it running? Point --url or AUTOCODER_URL at it\n`);

    const wrongToken = await cli(['project', 'list', '--token', 'nope'], { AUTOCODER_URL: url });
    expect(wrongToken.code).toBe(3);
    expect(wrongToken.stderr).toMatch(/the gateway refused the token \(401\)/);

    const run = runner.addRun(runner.addProject().projectId);
    const asAgent = await cli(['stop', run.runId], { AUTOCODER_URL: url, AUTOCODER_TOKEN: agent.apiKey });
    expect(asAgent.code).toBe(3);
    expect(asAgent.stderr).toMatch(/not allowed \(403\): stopping a run needs the admin token/);

    const missing = await cli(['status', '00000000-0000-4000-8000-000000000000'], env);
    expect(missing.code).toBe(4);
    expect(missing.stderr).toMatch(/not found \(404\)/);

    const bad = await cli(['run', runner.addProject().projectId, '--max-sessions', '0'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/max_sessions: must be from 1 to 1000/);

    const noToken = await cli(['project', 'list'], { AUTOCODER_URL: url, AUTOCODER_HOME: join(dir, 'nowhere') });
    expect(noToken.code).toBe(3);
    expect(noToken.stderr).toMatch(/no token: pass --token/);

    const usage = await cli(['logs'], env);
    expect(usage.code).toBe(1);
    expect(usage.stderr).toMatch(/missing required argument 'runId'/);
  });
});
