import { Subjects, type CommandEnvelope } from '@autocoder/contracts';
import { mathlib, startFakeAnthropic, type FakeAnthropic } from '@autocoder/fake-anthropic';
import { loadConfig } from '@autocoder/platform';
import { describeWith } from '@autocoder/testing';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, sql, startTestSystem, type TestSystem } from './harness';

const admin = <P>(payload: P): CommandEnvelope<P> => ({ commandId: randomUUID(), correlationId: randomUUID(), actor: { kind: 'admin' }, payload });

describeWith({ postgres: true }, 'runner: many runs at once in one process', () => {
  let fake: FakeAnthropic;
  let system: TestSystem;
  const env = { ...process.env };

  beforeAll(async () => {
    // Slow answers: every run is still under way while the others start.
    fake = await startFakeAnthropic({ script: mathlib, latencyMs: 400 });
    process.env.ANTHROPIC_BASE_URL = fake.url;
    process.env.ANTHROPIC_API_KEY = 'sk-ant-test';
    // A sweep every few ms: it looks at the read model while the starts are still returning.
    system = await startTestSystem({ runner: { ...loadConfig({}).runner, autoContinueDelaySec: 0 } }, { runnerSweepMs: 2, runnerPollMs: 50, runnerClaimPatienceMs: 5000 });
  });
  afterAll(async () => {
    await system?.close();
    await fake?.close();
    process.env = env;
  });

  it('drives every run at once, more than the runner’s pool has connections, and records none as recovered from a crash', async () => {
    const home = mkdtempSync(join(tmpdir(), 'autocoder-project-'));
    const runIds = await Promise.all(
      Array.from({ length: 20 }, async (_, i) => {
        const project = await system.bus.request<{ projectId: string }>(Subjects.runner.registerProject, admin({ name: `many-${i}`, spec: 'A tiny math library.', path: join(home, `p${i}`) }));
        return (await system.bus.request<{ runId: string }>(Subjects.runner.startRun, admin({ projectId: project.projectId }))).runId;
      }),
    );
    const events = `${system.config.schemaPrefix}eventstore.events`;
    try {
      // A run takes 30 answers of 400 ms: all twenty have a session going long before the first ends.
      await eventually(
        async () => {
          const rows = await sql<{ n: string }>(`SELECT count(DISTINCT data->>'runId') AS n FROM ${events} WHERE type = 'SessionStarted' AND data->>'runId' = ANY($1)`, [runIds]);
          return Number(rows[0].n) === runIds.length ? true : undefined;
        },
        8000,
        'a session in every run',
      );
    } finally {
      for (const runId of runIds) await system.bus.request(Subjects.runner.stopRun, admin({ runId })).catch(() => undefined);
    }
    const recovered = await sql(`SELECT stream_id FROM ${events} WHERE type = 'RunCrashRecovered' AND data->>'runId' = ANY($1)`, [runIds]);
    expect(recovered).toEqual([]);
  }, 60_000);
});
