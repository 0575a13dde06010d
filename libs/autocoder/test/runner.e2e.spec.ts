import { Subjects, type CommandEnvelope, type FeatureView, type RunDetail } from '@autocoder/contracts';
import { mathlib, startFakeAnthropic, type FakeAnthropic } from '@autocoder/fake-anthropic';
import { loadConfig } from '@autocoder/platform';
import { describeWith } from '@autocoder/testing';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startTestSystem, type TestSystem } from './harness';

const admin = <P>(payload: P): CommandEnvelope<P> => ({ commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'admin' }, payload });

describeWith({ postgres: true }, 'runner: a spec becomes passing features on the fake Messages API', () => {
  let fake: FakeAnthropic;
  let system: TestSystem;
  const env = { ...process.env };

  beforeAll(async () => {
    fake = await startFakeAnthropic({ script: mathlib });
    process.env.ANTHROPIC_BASE_URL = fake.url;
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test';
    system = await startTestSystem({ runner: { ...defaults(), autoContinueDelaySec: 0 } }, { runnerSweepMs: 200, runnerPollMs: 50, runnerClaimPatienceMs: 5000 });
  });
  afterAll(async () => {
    await system?.close();
    await fake?.close();
    process.env = env;
  });

  it('runs the initializer, then one coding session per feature until all pass, and then makes no further call', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'autocoder-project-')), 'mathlib');
    const project = await system.bus.request<{ projectId: string }>(Subjects.runner.registerProject, admin({ name: 'mathlib', spec: 'A tiny math library with tests.', path }));
    expect(existsSync(path)).toBe(true);
    const run = await system.bus.request<{ runId: string }>(Subjects.runner.startRun, admin({ projectId: project.projectId }));
    const detail = await eventually(
      async () => {
        const d = await system.bus.request<RunDetail>(Subjects.runner.getRun, { correlationId: randomUUID(), actor: { kind: 'admin' }, payload: { runId: run.runId } }).catch(() => null);
        return d && ['completed', 'failed', 'stopped'].includes(d.run.status) ? d : undefined;
      },
      90_000,
      'run to end',
    );
    expect(detail.run).toMatchObject({ status: 'completed', completion: 'all_features_done' });
    const features = await system.bus.request<FeatureView[]>(Subjects.runner.listFeatures, { correlationId: randomUUID(), actor: { kind: 'admin' }, payload: { projectId: project.projectId } });
    expect(features.map((f) => f.status)).toEqual(features.map(() => 'passing'));
    expect(features.length).toBe(4);
    expect(detail.sessions.map((s) => s.kind)).toEqual(['initializer', 'coding', 'coding', 'coding', 'coding']);
    // The code and its tests are in the workspace, and they pass.
    const out = execFileSync('node', ['--test'], { cwd: path, encoding: 'utf8' });
    expect(out).toMatch(/# fail 0/);
    const calls = fake.requests.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(fake.requests.length).toBe(calls);
    expect(new Set(fake.requests.map((r) => r.bodyHash)).size).toBe(fake.requests.length);
    expect(detail.run.usage.input + detail.run.usage.cacheRead + detail.run.usage.cacheWrite5m).toBeGreaterThan(0);
  }, 120_000);
});

function defaults() {
  return loadConfig({}).runner;
}
