import { Subjects, type CommandEnvelope, type RebuildProjectionsResult, type UsageUpdated } from '@autocoder/contracts';
import { AggregateStore, type EventStore } from '@autocoder/eventstore';
import { CommandLog, type MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Projector } from '@autocoder/projections';
import type { Reactor } from '@autocoder/reactors';
import { EventProcessors, openServiceDataSource, poolOf, type RunningService } from '@autocoder/service';
import type { DataSource } from 'typeorm';
import { budgetEntities, budgetMigrations, createBudgets, type Budgets } from './budgets';
import { ledgerReactor } from './ledger/ledger-reactor';
import { LedgerService } from './ledger/ledger-service';
import { usageSessionDecider } from './ledger/usage-session';
import { ledgerMigrations } from './migrations';
import type { PriceBook } from './prices/price-book';
import { LedgerProjection } from './read-models/ledger-projection';
import { UsageFeaturesProjection } from './read-models/usage-features-projection';
import { UsageQueries } from './read-models/usage-queries';

export interface UsageOptions {
  store: EventStore;
  bus: MessageBus;
  databaseUrl: string;
  schema: string;
  logger: Logger;
  /** The price table (loadPriceBook): read before anything starts, so a malformed file stops the service. */
  prices: PriceBook;
  /** Rows per projector batch. */
  batchSize?: number;
}

/** Everything the usage service runs: the ledger reactor, its read models, the queries and the budgets. */
export class UsageRuntime implements RunningService {
  private constructor(
    readonly ledger: LedgerService,
    readonly budgets: Budgets,
    readonly queries: UsageQueries,
    readonly prices: PriceBook,
    readonly dataSource: DataSource,
    readonly processors: EventProcessors,
    readonly projectors: { ledger: Projector<UsageUpdated>; features: Projector<unknown> },
    readonly reactor: Reactor<never>,
  ) {}

  static async start(options: UsageOptions): Promise<UsageRuntime> {
    const { store, bus, schema, logger, prices } = options;
    const dataSource = await openServiceDataSource({
      url: options.databaseUrl,
      schema,
      entities: [...budgetEntities],
      migrations: [...ledgerMigrations, ...budgetMigrations],
    });
    const pool = poolOf(dataSource);
    const commands = await CommandLog.open({ pool, schema });
    const sessions = new AggregateStore(store, usageSessionDecider);
    const queries = new UsageQueries(dataSource, schema);
    // The live cost badge: each committed batch publishes the new totals of the projects it changed.
    const ledgerProjector = new Projector<UsageUpdated>({
      store,
      dataSource,
      projection: new LedgerProjection(schema),
      schema,
      logger,
      batchSize: options.batchSize,
      onCommitted: (changes) => changes.forEach((change) => bus.publish(Subjects.notifications.usageUpdated, change)),
    });
    const featuresProjector = new Projector<unknown>({ store, dataSource, projection: new UsageFeaturesProjection(schema), schema, logger, batchSize: options.batchSize });
    const reactor = ledgerReactor({ store, pool, schema, logger, sessions, prices }) as unknown as Reactor<never>;
    const budgets = createBudgets({ store, bus, pool, dataSource, schema, logger, commands, prices });
    const projected = async (position: number | null) => {
      if (position !== null) await ledgerProjector.waitFor(position, 5000).catch(() => undefined);
    };
    const ledger = new LedgerService(sessions, commands, queries, prices, projected);
    const processors = new EventProcessors(
      'usage',
      [ledgerProjector as Projector<unknown>, featuresProjector, ...budgets.projectors],
      [reactor, ...budgets.reactors],
      commands,
    );
    const runtime = new UsageRuntime(ledger, budgets, queries, prices, dataSource, processors, { ledger: ledgerProjector, features: featuresProjector }, reactor);
    await processors.start();
    logger.info({ schema, priceVersion: prices.version }, 'usage started');
    return runtime;
  }

  rebuildProjections(envelope?: CommandEnvelope): Promise<RebuildProjectionsResult> {
    return this.processors.rebuildProjections(envelope);
  }

  async stop(): Promise<void> {
    await this.processors.stop();
    await this.dataSource.destroy();
  }
}
