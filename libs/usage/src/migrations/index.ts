import { CreateUsageReadModels1765000000000 } from './1765000000000-create-usage-read-models';

/** In order: TypeORM runs the ones a database has not seen yet (the budgets' follow). */
export const ledgerMigrations = [CreateUsageReadModels1765000000000];
