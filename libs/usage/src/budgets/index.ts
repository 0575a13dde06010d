import { Subjects, type BudgetView, type CommandEnvelope, type QueryEnvelope, type ReservationAnswer } from '@autocoder/contracts';
import { AggregateStore, type EventStore } from '@autocoder/eventstore';
import type { CommandLog, MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Projector } from '@autocoder/projections';
import type { Reactor } from '@autocoder/reactors';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PriceBook } from '../prices/price-book';
import { budgetDecider } from './budget';
import { budgetResumeReactor, budgetSettlementReactor } from './budget-reactors';
import { BudgetsProjection } from './budgets-projection';
import { BudgetsService } from './budgets-service';
import { CreateBudgetReadModels1780000000000 } from './migrations/1780000000000-create-budget-read-models';
import { PausedRunsProjection } from './paused-runs-projection';

export { budgetDecider, budgetLabel, budgetViewOf, RESERVATION_TTL_MS, type BudgetCommand, type BudgetState } from './budget';
export { budgetOfPauseReason, BUDGET_EXHAUSTED_REASON } from './paused-runs-projection';
export { reservationIdOf } from './reservation-id';

export interface BudgetsDeps {
  store: EventStore;
  bus: MessageBus;
  pool: Pool;
  dataSource: DataSource;
  schema: string;
  logger: Logger;
  commands: CommandLog;
  prices: PriceBook;
}

export interface Budgets {
  setBudget(subject: string, envelope: CommandEnvelope): Promise<BudgetView>;
  reserve(subject: string, envelope: CommandEnvelope): Promise<ReservationAnswer>;
  list(envelope: QueryEnvelope): Promise<BudgetView[]>;
  projectors: Projector<unknown>[];
  reactors: Reactor<never>[];
}

/** TypeORM entities, for the usage DataSource (the budgets' read models are written in SQL: none). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const budgetEntities: Function[] = [];
/** TypeORM migrations (run after the ledger's). */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const budgetMigrations: Function[] = [CreateBudgetReadModels1780000000000];

/**
 * The budgets part of the usage service: per project, run and feature, a soft threshold that warns
 * (a BudgetWarningRaised event and a budgetAlert notification) and a hard limit that refuses the
 * reservation a runner asks for before each model call. The ledger's CallPriced settles reservations;
 * raising an exhausted budget resumes the runs it paused.
 */
export function createBudgets(deps: BudgetsDeps): Budgets {
  const { store, bus, pool, dataSource, schema, logger } = deps;
  const budgets = new AggregateStore(store, budgetDecider);
  const service = new BudgetsService(budgets, deps.commands, deps.prices, pool, schema);
  const budgetsProjector = new Projector({
    store,
    dataSource,
    schema,
    logger,
    projection: new BudgetsProjection(schema),
    onCommitted: (alerts: BudgetView[]) => alerts.forEach((view) => bus.publish(Subjects.notifications.budgetAlert, view)),
  });
  const pausedRuns = new Projector<unknown>({ store, dataSource, schema, logger, projection: new PausedRunsProjection(schema) });
  const reactorDeps = { store, pool, schema, logger, bus, budgets, pausedRuns };
  return {
    setBudget: (subject, envelope) => service.setBudget(subject, envelope),
    reserve: (subject, envelope) => service.reserve(subject, envelope),
    list: (envelope) => service.list(envelope),
    projectors: [budgetsProjector as Projector<unknown>, pausedRuns],
    reactors: [budgetSettlementReactor(reactorDeps) as unknown as Reactor<never>, budgetResumeReactor(reactorDeps) as unknown as Reactor<never>],
  };
}
