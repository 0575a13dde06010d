import { Subjects, agentStreamName, type AgentView, type CommandEnvelope, type RebuildProjectionsResult, type TaskView } from '@autocoder/contracts';
import { AggregateStore, type EventStore } from '@autocoder/eventstore';
import { CommandLog, type MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Projector } from '@autocoder/projections';
import { EventProcessors, PeriodicJobs, openServiceDataSource, poolOf, type RunningService } from '@autocoder/service';
import type { DataSource } from 'typeorm';
import { agentDecider } from './agents/agent';
import { AgentRow } from './agents/agent-row.entity';
import { AgentsProjection } from './agents/agents-projection';
import { AgentsService } from './agents/agents-service';
import { collaborationEntities, createCollaboration, type Collaboration } from './collaboration';
import { coordinatorMigrations } from './migrations';
import { taskDecider } from './tasks/task';
import { TaskRow } from './tasks/task-row.entity';
import { TasksProjection } from './tasks/tasks-projection';
import { TasksService } from './tasks/tasks-service';

export interface CoordinatorOptions {
  store: EventStore;
  bus: MessageBus;
  databaseUrl: string;
  logger: Logger;
  /** The coordinator's own Postgres schema: no other service reads it. */
  schema?: string;
  heartbeatIntervalSec: number;
  agentOfflineAfterSec: number;
  /** How often to look for agents that went silent. */
  offlineSweepMs?: number;
  /** How often to look for leases that ran out. */
  leaseSweepMs?: number;
  poolSize?: number;
}

/** Everything the coordinator service runs, wired by hand so Nest only has to route messages to it. */
export class CoordinatorRuntime implements RunningService {
  private readonly jobs: PeriodicJobs;
  /** The coordination chat, plans and decisions (libs/coordinator/src/collaboration.ts). */
  collaboration!: Collaboration;
  readonly processors: EventProcessors;

  private constructor(
    readonly agents: AgentsService,
    readonly tasks: TasksService,
    readonly agentsProjector: Projector<AgentView>,
    /** Every projector of the service, in the order they are rebuilt. */
    readonly projectors: Projector<unknown>[],
    readonly dataSource: DataSource,
    commands: CommandLog,
    options: CoordinatorOptions,
  ) {
    this.jobs = new PeriodicJobs(options.logger);
    this.processors = new EventProcessors('coordinator', projectors, [], commands);
  }

  static async start(options: CoordinatorOptions): Promise<CoordinatorRuntime> {
    const schema = options.schema ?? 'coordinator';
    const dataSource = await openServiceDataSource({
      url: options.databaseUrl,
      schema,
      entities: [AgentRow, TaskRow, ...collaborationEntities],
      migrations: coordinatorMigrations,
      poolSize: options.poolSize,
    });
    const pool = poolOf(dataSource);
    const commands = await CommandLog.open({ pool, schema });
    const agentAggregates = new AggregateStore(options.store, agentDecider);
    const agents = new AgentsService(
      agentAggregates,
      commands,
      dataSource,
      { heartbeatIntervalSec: options.heartbeatIntervalSec, offlineAfterSec: options.agentOfflineAfterSec },
      options.logger,
    );
    const agentsProjector = new Projector<AgentView>({
      store: options.store,
      dataSource,
      projection: new AgentsProjection(schema),
      schema,
      logger: options.logger,
      onCommitted: (changes) => {
        for (const agent of changes) options.bus.publish(Subjects.notifications.agentUpdated, agent);
      },
    });
    const tasks = new TasksService(
      new AggregateStore(options.store, taskDecider),
      options.store,
      commands,
      dataSource,
      async (agentId) => {
        const { state } = await agentAggregates.load(agentStreamName(agentId));
        return state.exists ? { employeeId: state.profile.employeeId, specializationCodes: state.profile.specializationCodes } : null;
      },
      options.logger,
      () => tasksProjector.checkpoint,
    );
    const tasksProjector = new Projector<TaskView>({
      store: options.store,
      dataSource,
      projection: new TasksProjection(schema),
      schema,
      logger: options.logger,
      onCommitted: (changes) => {
        for (const task of changes) options.bus.publish(Subjects.notifications.taskUpdated, task);
      },
    });
    const projectors = [agentsProjector, tasksProjector] as Projector<unknown>[];
    const collaboration = createCollaboration({ store: options.store, bus: options.bus, commands, dataSource, schema, logger: options.logger });
    projectors.push(...collaboration.projectors);
    const runtime = new CoordinatorRuntime(agents, tasks, agentsProjector, projectors, dataSource, commands, options);
    runtime.collaboration = collaboration;
    await runtime.processors.start();
    runtime.jobs.every(options.offlineSweepMs ?? 1000, 'offline sweep', () => agents.sweepOffline());
    // Leases expire within a second of their deadline: the sweep runs well inside that.
    runtime.jobs.every(options.leaseSweepMs ?? 200, 'lease expiry', () => tasks.expireLeases());
    options.logger.info({ schema }, 'coordinator started');
    return runtime;
  }

  /** A rebuild as a command (see EventProcessors.rebuildProjections); without an envelope, one of its own. */
  rebuildProjections(envelope?: CommandEnvelope): Promise<RebuildProjectionsResult> {
    return this.processors.rebuildProjections(envelope);
  }

  get schema() {
    return (this.dataSource.options as { schema: string }).schema;
  }

  async stop() {
    this.jobs.stop();
    await this.processors.stop();
    await this.dataSource.destroy();
  }
}
