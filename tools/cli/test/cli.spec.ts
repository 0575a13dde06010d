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
import { ScriptedRunner, ScriptedUsage, scriptedAgent } from '@autocoder/testing';
import type { INestApplication } from '@nestjs/common';

const BIN = resolve(__dirname, '../bin/autocoder.js');
const ADMIN = 'adm_cli_test_token';
const R = Subjects.runner;
const U = Subjects.usage;

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
  let usage: ScriptedUsage;
  const agent = scriptedAgent();
  let url: string;
  let env: Record<string, string>;
  const dir = mkdtempSync(join(tmpdir(), 'autocoder-cli-'));

  beforeAll(async () => {
    broker = new InProcessBroker();
    runner = new ScriptedRunner(broker, [agent]);
    usage = new ScriptedUsage(broker);
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

    usage.record({ projectId: project.projectId, runId, costUsd: '0.01234' });
    usage.record({ projectId: project.projectId, runId, costUsd: '0.5', model: 'mystery', unknownModel: true });

    const status = await cli(['status', runId], env);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain(`run ${runId}: running`);
    expect(status.stdout).toContain('features  2/3 passing');
    expect(status.stdout).toContain('input 1,200, output 340, cache write 5m 10, cache write 1h 0, cache read 5,000 (total 6,550)');
    expect(status.stdout).toContain('  cost      $0.5123 (1 call of a model not in the price table, priced at the fallback)\n');

    const overview = await cli(['status'], env);
    expect(overview.stdout).toContain(`runs (${project.projectId}): features 0/0 passing, $0.5123 (1 call of a model not in the price table, priced at the fallback) in all\n`);
    expect(overview.stdout).toContain(`latest run ${runId}: running, tokens 6,550, $0.5123\n`);
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
      usage.record({ projectId: project.projectId, runId: run.runId, costUsd: '0.0123' });
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
    expect(lines.at(-1)).toBe(`run ${run.runId} ended: completed (all_features_done); features 1/2 passing; tokens 1,200; $0.0123`);
    expect(followed.stderr).toContain('[running] features 0/2 passing · tokens 0 (in 0, out 0) · $0.0000\n');
    expect(followed.stderr).toContain('features 1/2 passing · tokens 1,200 (in 1,000, out 200) · $0.0123\n');
  });

  it("shows a run without its cost, saying why, when the usage service does not answer", async () => {
    const run = runner.addRun(runner.addProject().projectId);
    usage.silence(U.runCost);
    try {
      const status = await cli(['status', run.runId], env);
      expect(status.code).toBe(0);
      expect(status.stdout).toContain(`run ${run.runId}: running`);
      expect(status.stdout).toContain('  cost      unknown (the cost is not known now: UNAVAILABLE: usage.qry.run-cost did not answer within 2000 ms)\n');
    } finally {
      usage.answer(U.runCost);
    }
  });

  it("prints a project's usage: totals and the by-feature breakdown, most expensive first; and every project's", async () => {
    const project = runner.addProject({ name: 'spent' });
    const [login, signup] = [runner.addFeature(project.projectId, { name: 'login' }), runner.addFeature(project.projectId, { name: 'signup' })];
    usage.labels.set(login.featureId, 'login');
    const run = runner.addRun(project.projectId);
    const at = { projectId: project.projectId, runId: run.runId };
    usage.record({ ...at, featureId: login.featureId, costUsd: '0.0123', usage: { input: 1000, output: 200, cacheWrite5m: 300, cacheWrite1h: 400, cacheRead: 5000 } });
    usage.record({ ...at, featureId: signup.featureId, costUsd: '1.23456', usage: { input: 10, output: 20, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } });
    usage.record({ ...at, featureId: signup.featureId, costUsd: '0.00001', usage: { input: 1, output: 1, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } });
    // The usage service keys calls outside any feature (the initializer's) by the empty string.
    usage.record({ ...at, featureId: '', costUsd: '0.00004', usage: { input: 2, output: 2, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 } });
    const shown = await cli(['usage', project.projectId], { ...env, AUTOCODER_TOKEN: agent.apiKey });
    expect(shown.stderr).toBe('');
    expect(shown.code).toBe(0);
    expect(shown.stdout.split('\n')).toEqual([
      `project ${project.projectId}: 4 model calls, $1.2469`,
      '  tokens  input 1,013, output 223, cache write 5m 300, cache write 1h 400, cache read 5,000 (total 6,936)',
      'by feature:',
      `   $1.2346  2 calls    32 tokens          ${signup.featureId}`,
      `   $0.0123  1 call     6,900 tokens       login (${login.featureId})`,
      '  <$0.0001  1 call     4 tokens           (no feature: the initializer and other work outside one)',
      '',
    ]);
    const all = await cli(['usage'], env);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain(`  $1.2469  4 calls  6,936 tokens  spent (${project.projectId})\n`);
    expect(all.stdout).toMatch(/^all projects: [\d,]+ model calls, \$[\d,]+\.\d{4}/);
  });

  it("sets and lists budgets: the project's, a run's and a feature's, in dollars", async () => {
    const project = runner.addProject();
    const feature = runner.addFeature(project.projectId);
    const run = runner.addRun(project.projectId);
    const set = await cli(['budget', project.projectId, '--hard', '5', '--soft', '4'], env);
    expect(set.stderr).toBe('');
    expect(set.stdout).toBe(`project budget ${project.projectId}: soft $4.0000, hard $5.0000; spent $0.0000, held $0.0000\n`);
    expect(usage.sent(U.setBudget).at(-1)!.payload).toEqual({ scope: 'project', scopeId: project.projectId, projectId: project.projectId, softUsd: '4', hardUsd: '5' });
    expect((await cli(['budget', project.projectId, '--run', run.runId, '--hard', '0.5'], env)).stdout).toBe(`run budget ${run.runId}: soft none, hard $0.5000; spent $0.0000, held $0.0000\n`);
    expect((await cli(['budget', project.projectId, '--feature', feature.featureId, '--soft', '0.25'], env)).stdout).toContain(`feature budget ${feature.featureId}: soft $0.2500, hard none`);
    await cli(['budget', project.projectId, '--soft', 'none'], env);
    expect(usage.sent(U.setBudget).at(-1)!.payload).toEqual({ scope: 'project', scopeId: project.projectId, projectId: project.projectId, softUsd: null });
    const listed = await cli(['budget', project.projectId], env);
    expect(listed.stdout.trim().split('\n')).toEqual([
      `project budget ${project.projectId}: soft none, hard $5.0000; spent $0.0000, held $0.0000`,
      `run budget ${run.runId}: soft none, hard $0.5000; spent $0.0000, held $0.0000`,
      `feature budget ${feature.featureId}: soft $0.2500, hard none; spent $0.0000, held $0.0000`,
    ]);
  });

  it('refuses bad budgets clearly: a negative amount (naming it), an agent, a run of another project, --run with --feature', async () => {
    const project = runner.addProject();
    const before = usage.sent(U.setBudget).length;
    const negative = await cli(['budget', project.projectId, '--hard', '-1'], env);
    expect(negative.code).toBe(1);
    expect(negative.stderr).toMatch(/^autocoder: the gateway answered 400 VALIDATION_FAILED: invalid budget: hard_usd: must be a number of dollars from 0/);
    const asAgent = await cli(['budget', project.projectId, '--hard', '5'], { ...env, AUTOCODER_TOKEN: agent.apiKey });
    expect(asAgent.code).toBe(3);
    expect(asAgent.stderr).toMatch(/not allowed \(403\): setting a budget needs the admin token/);
    const elsewhere = runner.addRun(runner.addProject().projectId);
    const wrongRun = await cli(['budget', project.projectId, '--run', elsewhere.runId, '--hard', '5'], env);
    expect(wrongRun.code).toBe(1);
    expect(wrongRun.stderr).toBe(`autocoder: run ${elsewhere.runId} belongs to project ${elsewhere.projectId}, not ${project.projectId}; nothing was set\n`);
    const both = await cli(['budget', project.projectId, '--run', elsewhere.runId, '--feature', elsewhere.runId, '--hard', '5'], env);
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/give --run or --feature, not both/);
    expect(usage.sent(U.setBudget).length).toBe(before);
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
