import { projectStreamName, runStreamName, type ClaimResult } from '@autocoder/contracts';
import { AggregateStore, PostgresEventStore, type CommandContext } from '@autocoder/eventstore';
import { loadConfig, type Logger } from '@autocoder/platform';
import { TEST_DATABASE_URL, describeWith, dropSchemasWithPrefix, uniqueSchema } from '@autocoder/testing';
import { randomUUID } from 'node:crypto';
import { Pool } from 'pg';
import type { CoordinatorTasks } from '../../src/driver/coordinator-tasks';
import { RunDriver } from '../../src/driver/run-driver';
import { featureTaskId } from '../../src/projects/feature-tasks';
import { featureIdOf, projectDecider } from '../../src/projects/project';
import { runDecider } from '../../src/runs/run';
import { sessionDecider } from '../../src/sessions/session';

const silent = { info() {}, warn() {}, error() {}, debug() {}, child() { return silent; } } as unknown as Logger;
const ctx = (): CommandContext => ({ commandId: randomUUID(), correlationId: randomUUID(), actor: 'admin', time: new Date().toISOString() });

describeWith({ postgres: true }, 'run driver against the store', () => {
  const prefix = uniqueSchema('rd');
  let pool: Pool;
  let store: PostgresEventStore;
  beforeAll(async () => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
    store = await PostgresEventStore.open({ pool, schema: `${prefix}_es` });
  });
  afterAll(async () => {
    await store.close();
    await pool.end();
    await dropSchemasWithPrefix(prefix);
  });

  it('takes a stop that lands between reading the run and opening its session as the end, and gives the claimed task back', async () => {
    const projects = new AggregateStore(store, projectDecider);
    const runs = new AggregateStore(store, runDecider);
    const projectId = randomUUID();
    const runId = randomUUID();
    const now = new Date().toISOString();
    await projects.handle(projectStreamName(projectId), { type: 'RegisterProject', data: { projectId, name: 'p', spec: 's', workspace: { path: '/tmp', repositoryUrl: null }, network: false, now } }, ctx());
    await projects.handle(projectStreamName(projectId), { type: 'DefineFeatures', data: { features: [{ category: 'c', name: 'f', description: 'd', steps: [] }], source: 'sync', sessionId: null, now } }, ctx());
    const limits = { maxSessions: 5, maxTurnsPerSession: 5, maxTokens: 0 };
    await runs.handle(runStreamName(runId), { type: 'StartRun', data: { runId, projectId, yolo: false, model: 'claude-sonnet-5-5', limits, autoContinueDelaySec: 0, startedBy: 'admin', now } }, ctx());
    const taskId = featureTaskId(featureIdOf(projectId, 0));
    const released: string[] = [];
    // The coordinator answers the claim; the stop lands while the claim is on its way.
    const tasks = {
      claimNext: async (): Promise<ClaimResult> => {
        await runs.handle(runStreamName(runId), { type: 'StopRun', data: { reason: 'enough', by: 'admin', now: new Date().toISOString() } }, ctx());
        return { task: { taskId } as ClaimResult['task'], leaseExpiresAt: now, fencingToken: 7 };
      },
      release: async (id: string, token: number) => void released.push(`${id}/${token}`),
    } as unknown as CoordinatorTasks;
    const driver = new RunDriver(runId, {
      runs,
      projects,
      sessions: new AggregateStore(store, sessionDecider),
      tasks,
      model: { call: async () => fail('no model call once the run is stopped') } as never,
      openWorkspace: async () => fail('no workspace once the run is stopped') as never,
      settings: loadConfig({}).runner,
      initializerModel: 'claude-opus-5-5',
      logger: silent,
      ready: async () => undefined,
      pollMs: 10,
    } as never);
    await expect(driver.drive()).resolves.toBeUndefined();
    const { state } = await runs.load(runStreamName(runId));
    expect(state).toMatchObject({ status: 'stopped', sessions: 0, openSession: null });
    expect(released).toEqual([`${taskId}/7`]);
  });
});
