import type { ServiceDefinition } from '@autocoder/service';
import { loadPriceBook } from './prices/load-price-book';
import { UsageModule } from './usage.module';
import { UsageRuntime } from './usage-runtime';

/** The usage service: the priced ledger of every model call, its rollups, estimates and budgets. */
export const usageService: ServiceDefinition<UsageRuntime> = {
  name: 'usage',
  start: ({ store, bus, databaseUrl, schema, logger, config }) =>
    // The price file is read first: a malformed one stops the service before it prices anything.
    UsageRuntime.start({ store, bus, databaseUrl, schema, logger, prices: loadPriceBook(config.pricesFile) }),
  messageModule: (runtime, logger) => UsageModule.forRuntime(runtime, logger),
};
