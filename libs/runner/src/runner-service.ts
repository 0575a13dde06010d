import type { ServiceDefinition } from '@autocoder/service';
import { RunnerModule } from './runner.module';
import { RunnerRuntime } from './runner-runtime';

/** The runner as a service: projects, features, runs and the sessions that drive Claude. */
export const runnerService: ServiceDefinition<RunnerRuntime> = {
  name: 'runner',
  start: ({ store, bus, databaseUrl, schema, logger, config, tuning }) =>
    RunnerRuntime.start({
      store,
      bus,
      databaseUrl,
      schema,
      logger,
      settings: config.runner,
      sweepMs: tuning.runnerSweepMs,
      pollMs: tuning.runnerPollMs,
      claimPatienceMs: tuning.runnerClaimPatienceMs,
      streamRetryDelayMs: tuning.modelStreamRetryDelayMs,
      agentHeartbeatMs: Math.min(30_000, config.heartbeatIntervalSec * 500),
    }),
  messageModule: (runtime, logger) => RunnerModule.forRuntime(runtime, logger),
};
