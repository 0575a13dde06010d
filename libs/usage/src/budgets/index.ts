// Placeholder until the budgets helper's module lands (USAGE.md): same exports, nothing built yet.
import { AutocoderError, ErrorCodes, type BudgetView, type CommandEnvelope, type QueryEnvelope, type ReservationAnswer } from '@autocoder/contracts';
import type { EventStore } from '@autocoder/eventstore';
import type { CommandLog, MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import type { Projector } from '@autocoder/projections';
import type { Reactor } from '@autocoder/reactors';
import type { Pool } from 'pg';
import type { DataSource } from 'typeorm';
import type { PriceBook } from '../prices/price-book';

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

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type -- TypeORM's entity and migration lists are constructors
export const budgetEntities: Function[] = [];
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export const budgetMigrations: Function[] = [];

const notYet = (): never => {
  throw new AutocoderError(ErrorCodes.Unavailable, 'budgets are not built yet');
};

export function createBudgets(deps: BudgetsDeps): Budgets {
  void deps;
  return { setBudget: async () => notYet(), reserve: async () => notYet(), list: async () => notYet(), projectors: [], reactors: [] };
}
