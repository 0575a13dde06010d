import { Subjects, type AgentView, type RebuildProjectionsResult } from '@autocoder/contracts';
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
import { coordinatorMigrations } from './migrations';

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
  poolSize?: number;
}

/** Everything the coordinator service runs, wired by hand so Nest only has to route messages to it. */
export class CoordinatorRuntime {
  private sweepTimer?: NodeJS.Timeout;
  private sweeping = false;

  private constructor(
    readonly agents: AgentsService,
    readonly agentsProjector: Projector<AgentView>,
    readonly dataSource: DataSource,
    private readonly options: CoordinatorOptions,
  ) {}

  static async start(options: CoordinatorOptions): Promise<CoordinatorRuntime> {
    const schema = assertSchemaName(options.schema ?? 'coordinator');
    const dataSource = new DataSource({
      type: 'postgres',
      url: options.databaseUrl,
      schema,
      entities: [AgentRow],
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
    const agents = new AgentsService(
      new AggregateStore(options.store, agentDecider),
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
    const runtime = new CoordinatorRuntime(agents, agentsProjector, dataSource, options);
    await agentsProjector.start();
    runtime.startSweeping();
    options.logger.info({ schema }, 'coordinator started');
    return runtime;
  }

  async rebuildProjections(): Promise<RebuildProjectionsResult> {
    const { eventsReplayed } = await this.agentsProjector.rebuild();
    const [{ count }] = await this.dataSource.query(`SELECT count(*)::int AS count FROM ${this.schema}.agents`);
    return { projections: [{ name: this.agentsProjector.name, eventsReplayed, rows: count }] };
  }

  get schema() {
    return (this.dataSource.options as { schema: string }).schema;
  }

  private startSweeping() {
    const every = this.options.offlineSweepMs ?? 1000;
    this.sweepTimer = setInterval(() => {
      if (this.sweeping) return;
      this.sweeping = true;
      this.agents
        .sweepOffline()
        .catch((error) => this.options.logger.warn({ err: error }, 'offline sweep failed; will retry'))
        .finally(() => (this.sweeping = false));
    }, every);
    this.sweepTimer.unref();
  }

  async stop() {
    clearInterval(this.sweepTimer);
    await this.agentsProjector.stop();
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
