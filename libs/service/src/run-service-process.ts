import { queueGroupOf, serviceSchemaOf } from '@autocoder/contracts';
import { openEventStore } from '@autocoder/eventstore';
import { NatsMessageBus } from '@autocoder/messaging';
import { ConfigError, createLogger, exitOnStartupError, loadConfig, onShutdown, openDatabase } from '@autocoder/platform';
import { serveService } from './serve-service';
import type { RunningService, ServiceDefinition } from './service-definition';

/**
 * An app's whole main.ts: one service as its own process, serving its subjects on NATS in its queue
 * group (so instances share the work), on the shared Postgres.
 */
export function runServiceProcess<R extends RunningService>(definition: ServiceDefinition<R>) {
  const name = definition.name;
  const title = `${name[0].toUpperCase()}${name.slice(1)}`;
  const main = async () => {
    const config = loadConfig();
    const logger = createLogger(name, config.logLevel);
    if (!config.natsUrl) throw new ConfigError(`the ${name} on its own needs NATS_URL (npm start runs everything in one process without it)`);
    if (!config.databaseUrl) throw new ConfigError(`the ${name} on its own needs DATABASE_URL: the embedded database cannot be shared between processes`);
    const db = await openDatabase({ databaseUrl: config.databaseUrl, home: config.home });
    const store = await openEventStore({ eventstoreUrl: config.eventstoreUrl, pool: db.pool, embedded: false, schema: `${config.schemaPrefix}eventstore` });
    const bus = await NatsMessageBus.connect(config.natsUrl, `${name}-client`, config.natsPrefix);
    const running = await definition.start({
      store,
      bus,
      databaseUrl: db.url,
      schema: serviceSchemaOf(name, config.schemaPrefix),
      logger,
      config,
      tuning: {},
    });
    const app = await serveService(definition, running, { kind: 'nats', url: config.natsUrl, prefix: config.natsPrefix }, logger);
    onShutdown(logger, [() => app.close(), () => running.stop(), () => bus.close(), () => store.close(), () => db.close()]);
    logger.info({ nats: config.natsUrl, queue: queueGroupOf(name) }, `${name} serving`);
    // eslint-disable-next-line no-console
    console.log(`${title} serving on ${config.natsUrl} (queue group "${queueGroupOf(name)}")`);
  };
  main().catch(exitOnStartupError(createLogger(name), `The ${name}`));
}
