import type { ServiceDefinition } from '@autocoder/service';
import { CoordinatorModule } from './coordinator.module';
import { CoordinatorRuntime } from './coordinator-runtime';

/** The coordinator as a service: agents, tasks with leases, chat, plans and decisions. */
export const coordinatorService: ServiceDefinition<CoordinatorRuntime> = {
  name: 'coordinator',
  start: ({ store, bus, databaseUrl, schema, logger, config, tuning }) =>
    CoordinatorRuntime.start({
      store,
      bus,
      databaseUrl,
      schema,
      logger,
      heartbeatIntervalSec: config.heartbeatIntervalSec,
      agentOfflineAfterSec: config.agentOfflineAfterSec,
      offlineSweepMs: tuning.offlineSweepMs,
      leaseSweepMs: tuning.leaseSweepMs,
    }),
  messageModule: (runtime, logger) => CoordinatorModule.forRuntime(runtime, logger),
};
