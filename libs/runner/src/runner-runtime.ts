import { nameBasedUuid, runStreamName, type CommandEnvelope, type RebuildProjectionsResult } from '@autocoder/contracts';
import { AggregateStore, type EventStore } from '@autocoder/eventstore';
import { CommandLog, type MessageBus } from '@autocoder/messaging';
import type { Logger, RunnerSettings } from '@autocoder/platform';
import { EventProcessors, openServiceDataSource, poolOf, type RunningService } from '@autocoder/service';
import type { DataSource } from 'typeorm';
import { createModelClient, DEFAULT_CODING_MODEL, DEFAULT_INITIALIZER_MODEL, type ModelClient } from './agent';
import { CoordinatorTasks } from './driver/coordinator-tasks';
import { RunDriver } from './driver/run-driver';
import { RunSupervisor } from './driver/run-supervisor';
import { UsageBudgetClient } from './driver/usage-budget';
import { runnerEntities, runnerMigrations } from './migrations';
import { featureTasksReactor } from './projects/feature-tasks-reactor';
import { projectDecider } from './projects/project';
import { ProjectsService } from './projects/projects-service';
import { createRunnerProjectors, RunnerQueries } from './read-models';
import { runDecider } from './runs/run';
import { RunsService } from './runs/runs-service';
import { sessionDecider } from './sessions/session';
import { detectSandbox, openWorkspace } from './workspace';

export interface RunnerOptions {
  store: EventStore;
  bus: MessageBus;
  databaseUrl: string;
  schema: string;
  logger: Logger;
  settings: RunnerSettings;
  /** The Messages API client; by default the SDK's, reading ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL. */
  model?: ModelClient;
  /** How often to look for runs no process drives (after a crash). */
  sweepMs?: number;
  /** How often a driver looks at its run's controls. */
  pollMs?: number;
  /** How long a run waits for a claimable feature before it calls itself done. */
  claimPatienceMs?: number;
  /** First backoff of a broken stream's retry. */
  streamRetryDelayMs?: number;
  /** How often the runner's agent tells the coordinator it is alive. */
  agentHeartbeatMs: number;
}

/** Everything the runner service runs: projects, runs, their drivers and read models. */
export class RunnerRuntime implements RunningService {
  readonly processors: EventProcessors;

  private constructor(
    readonly projects: ProjectsService,
    readonly runs: RunsService,
    readonly queries: RunnerQueries,
    readonly supervisor: RunSupervisor,
    readonly dataSource: DataSource,
    processors: EventProcessors,
    private readonly registration: { stop(): void },
  ) {
    this.processors = processors;
  }

  static async start(options: RunnerOptions): Promise<RunnerRuntime> {
    const { store, bus, schema, logger, settings } = options;
    const dataSource = await openServiceDataSource({ url: options.databaseUrl, schema, entities: runnerEntities, migrations: runnerMigrations });
    const pool = poolOf(dataSource);
    const commands = await CommandLog.open({ pool, schema });
    const projects = new AggregateStore(store, projectDecider);
    const runs = new AggregateStore(store, runDecider);
    const sessions = new AggregateStore(store, sessionDecider);
    const queries = new RunnerQueries(dataSource, schema);
    const tasks = new CoordinatorTasks(bus, nameBasedUuid(`runner/employee/${schema}`));
    const registration = registerWhenNeeded(tasks, logger, options.agentHeartbeatMs);
    const model = options.model ?? createModelClient({ streamRetryDelayMs: options.streamRetryDelayMs });
    const initializerModel = settings.initializerModel ?? DEFAULT_INITIALIZER_MODEL;
    const defaultModel = settings.model ?? DEFAULT_CODING_MODEL;
    logger.info({ sandbox: detectSandbox(settings.projectsDir, false).describe() }, 'runner sandbox');

    const budget = new UsageBudgetClient(bus, logger);
    const driver = (runId: string) =>
      new RunDriver(runId, {
        runs,
        projects,
        sessions,
        tasks,
        model,
        budget,
        openWorkspace: (project) => openWorkspace({ root: project.workspace.path, network: project.network }),
        settings,
        initializerModel,
        logger: logger.child({ runId }),
        claimPatienceMs: options.claimPatienceMs,
        pollMs: options.pollMs,
        ready: registration.ready,
      });
    const supervisor = new RunSupervisor({
      activeRuns: async () => (await queries.listRuns({})).filter((r) => r.status === 'running' || r.status === 'paused').map((r) => r.runId),
      driver,
      recover: async (runId) => {
        const handled = await runs.handle(runStreamName(runId), { type: 'RecoverRun', data: { now: new Date().toISOString() } }, {
          commandId: nameBasedUuid(`runner/recover/${runId}/${Date.now()}`),
          correlationId: runId,
          actor: 'system:runner',
          time: new Date().toISOString(),
        });
        if (handled.events.length) logger.warn({ runId }, 'run taken up after its runner stopped: resuming from its events');
      },
      pool,
      logger,
      sweepMs: options.sweepMs,
    });
    const projectors = createRunnerProjectors({ store, dataSource, schema, logger, bus });
    const upTo = (projector: { waitFor(position: number, timeoutMs?: number): Promise<void> }) => async (position: number | null) => {
      if (position !== null) await projector.waitFor(position, 5000).catch(() => undefined);
    };
    const projectsService = new ProjectsService(projects, commands, queries, settings.projectsDir, logger, upTo(projectors.projects));
    const runsService = new RunsService(runs, projects, commands, queries, { ...settings, defaultModel }, (runId) => supervisor.drive(runId), upTo(projectors.runs));
    const reactor = featureTasksReactor({ store, pool, schema, logger, projects, tasks });
    const processors = new EventProcessors('runner', projectors.all, [reactor as never], commands);
    const runtime = new RunnerRuntime(projectsService, runsService, queries, supervisor, dataSource, processors, registration);
    await processors.start();
    supervisor.start();
    logger.info({ schema, model: defaultModel, initializerModel }, 'runner started');
    return runtime;
  }

  rebuildProjections(envelope?: CommandEnvelope): Promise<RebuildProjectionsResult> {
    return this.processors.rebuildProjections(envelope);
  }

  async stop(): Promise<void> {
    this.registration.stop();
    await this.supervisor.stop();
    await this.processors.stop();
    await this.dataSource.destroy();
  }
}

/**
 * The runner becomes an agent of the coordinator the first time a run needs one (no run, no agent in
 * the coordinator's lists), and keeps trying: the coordinator may start after the runner.
 */
function registerWhenNeeded(tasks: CoordinatorTasks, logger: Logger, heartbeatMs: number) {
  let stopped = false;
  let heartbeat: NodeJS.Timeout | undefined;
  let registered: Promise<void> | null = null;
  const register = async () => {
    for (let delay = 200; !stopped; delay = Math.min(delay * 2, 5000)) {
      try {
        await tasks.register('autocoder-runner');
        heartbeat = setInterval(() => void tasks.heartbeatAgent().catch((error) => logger.warn({ err: error }, 'runner agent heartbeat failed')), heartbeatMs);
        return;
      } catch (error) {
        logger.warn({ err: error }, 'the coordinator did not take the runner agent yet; trying again');
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  };
  return { ready: () => (registered ??= register()), stop: () => ((stopped = true), clearInterval(heartbeat)) };
}
