import 'reflect-metadata';
import { QueueGroups } from '@autocoder/contracts';
import { CoordinatorModule, CoordinatorRuntime } from '@autocoder/coordinator';
import { openEventStore } from '@autocoder/eventstore';
import { NatsMessageBus, natsServerOptions } from '@autocoder/messaging';
import { ConfigError, PinoNestLogger, createLogger, exitOnStartupError, loadConfig, onShutdown, openDatabase } from '@autocoder/platform';
import { NestFactory } from '@nestjs/core';

/** The coordinator as its own process: serves its NATS subjects in the `coordinator` queue group. */
async function main() {
  const config = loadConfig();
  const logger = createLogger('coordinator', config.logLevel);
  if (!config.natsUrl) throw new ConfigError('the coordinator on its own needs NATS_URL (npm start runs everything in one process without it)');
  if (!config.databaseUrl) throw new ConfigError('the coordinator on its own needs DATABASE_URL: the embedded database cannot be shared between processes');
  const db = await openDatabase({ databaseUrl: config.databaseUrl, home: config.home });
  const store = await openEventStore({ eventstoreUrl: config.eventstoreUrl, pool: db.pool, embedded: false, schema: `${config.schemaPrefix}eventstore` });
  const bus = await NatsMessageBus.connect(config.natsUrl, 'coordinator-notifications', config.natsPrefix);
  const runtime = await CoordinatorRuntime.start({
    store,
    bus,
    databaseUrl: db.url,
    schema: `${config.schemaPrefix}coordinator`,
    logger,
    heartbeatIntervalSec: config.heartbeatIntervalSec,
    agentOfflineAfterSec: config.agentOfflineAfterSec,
  });
  const app = await NestFactory.createMicroservice(CoordinatorModule.forRuntime(runtime, logger), {
    ...natsServerOptions(config.natsUrl, QueueGroups.coordinator, 'coordinator', config.natsPrefix),
    logger: new PinoNestLogger(logger),
  });
  await app.listen();
  onShutdown(logger, [() => app.close(), () => runtime.stop(), () => bus.close(), () => store.close(), () => db.close()]);
  logger.info({ nats: config.natsUrl, queue: QueueGroups.coordinator }, 'coordinator serving');
  // eslint-disable-next-line no-console
  console.log(`Coordinator serving on ${config.natsUrl} (queue group "${QueueGroups.coordinator}")`);
}

main().catch(exitOnStartupError(createLogger('coordinator'), 'The coordinator'));
