import { Subjects, agentStreamName, type AgentView, type RebuildProjectionsResult, type TaskView } from '@autocoder/contracts';
import { AggregateStore, assertSchemaName, type EventStore } from '@autocoder/eventstore';
import { CommandLog, type MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Projector } from '@autocoder/projections';
import { DataSource } from 'typeorm';
import type { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver';
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
export class CoordinatorRuntime {
  private readonly timers: NodeJS.Timeout[] = [];
  /** The coordination chat, plans and decisions (libs/coordinator/src/collaboration.ts). */
  collaboration!: Collaboration;

  private constructor(
    readonly agents: AgentsService,
    readonly tasks: TasksService,
    readonly agentsProjector: Projector<AgentView>,
    /** Every projector of the service, in the order they are rebuilt. */
    readonly projectors: Projector<unknown>[],
    readonly dataSource: DataSource,
    private readonly options: CoordinatorOptions,
  ) {}

  static async start(options: CoordinatorOptions): Promise<CoordinatorRuntime> {
    const schema = assertSchemaName(options.schema ?? 'coordinator');
    const dataSource = new DataSource({
      type: 'postgres',
      url: options.databaseUrl,
      schema,
      entities: [AgentRow, TaskRow, ...collaborationEntities],
      migrations: coordinatorMigrations,
      migrationsTableName: 'typeorm_migrations',
      migrationsTransactionMode: 'each',
      synchronize: false,
      extra: { max: options.poolSize ?? 8 },
    });
    await dataSource.initialize();
    await migrate(dataSource, schema);

    const pool = (dataSource.driver as PostgresDriver).master;
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
    const runtime = new CoordinatorRuntime(agents, tasks, agentsProjector, projectors, dataSource, options);
    runtime.collaboration = collaboration;
    for (const projector of projectors) await projector.start();
    runtime.every(options.offlineSweepMs ?? 1000, 'offline sweep', () => agents.sweepOffline());
    // Leases expire within a second of their deadline: the sweep runs well inside that.
    runtime.every(options.leaseSweepMs ?? 200, 'lease expiry', () => tasks.expireLeases());
    options.logger.info({ schema }, 'coordinator started');
    return runtime;
  }

  async rebuildProjections(): Promise<RebuildProjectionsResult> {
    const projections: RebuildProjectionsResult['projections'] = [];
    for (const projector of this.projectors) {
      const { eventsReplayed } = await projector.rebuild();
      let rows = 0;
      for (const table of projector.tables) rows += (await this.dataSource.query(`SELECT count(*)::int AS count FROM ${table}`))[0].count;
      projections.push({ name: projector.name, eventsReplayed, rows });
    }
    return { projections };
  }

  get schema() {
    return (this.dataSource.options as { schema: string }).schema;
  }

  /** Runs `work` every `ms`, never two at once; a failure is logged and tried again next time. */
  private every(ms: number, what: string, work: () => Promise<unknown>) {
    let running = false;
    const timer = setInterval(() => {
      if (running) return;
      running = true;
      work()
        .catch((error) => this.options.logger.warn({ err: error }, `${what} failed; will retry`))
        .finally(() => (running = false));
    }, ms);
    timer.unref();
    this.timers.push(timer);
  }

  async stop() {
    for (const timer of this.timers) clearInterval(timer);
    for (const projector of this.projectors) await projector.stop();
    await this.dataSource.destroy();
  }
}

/** Runs pending migrations; a session advisory lock keeps instances starting together from racing. */
async function migrate(dataSource: DataSource, schema: string) {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query(`SELECT pg_advisory_lock(hashtext($1))`, [`${schema}.migrations`]);
    await runner.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await dataSource.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [`${schema}.migrations`]).catch(() => undefined);
    await runner.release();
  }
}
