import 'reflect-metadata';
import { QueueGroups } from '@autocoder/contracts';
import { CoordinatorModule, CoordinatorRuntime } from '@autocoder/coordinator';
import { openEventStore } from '@autocoder/eventstore';
import { createGatewayApp } from '@autocoder/gateway';
import { InProcessBroker, InProcessServer, NatsMessageBus, natsServerOptions } from '@autocoder/messaging';
import { createLogger, exitOnStartupError, loadConfig, onShutdown, openDatabase, resolveAdminToken } from '@autocoder/platform';

/** Every service in one process: embedded Postgres and the in-process transport unless told otherwise. */
async function main() {
  const config = loadConfig();
  const logger = createLogger('autocoder', config.logLevel);
  const db = await openDatabase({ databaseUrl: config.databaseUrl, home: config.home });
  const store = await openEventStore({ eventstoreUrl: config.eventstoreUrl, pool: db.pool, embedded: db.embedded });
  const broker = config.natsUrl ? null : new InProcessBroker();
  const bus = broker ?? (await NatsMessageBus.connect(config.natsUrl!, 'autocoder'));

  const coordinatorLogger = createLogger('coordinator', config.logLevel);
  const coordinator = await CoordinatorRuntime.start({
    store,
    bus,
    databaseUrl: db.url,
    logger: coordinatorLogger,
    heartbeatIntervalSec: config.heartbeatIntervalSec,
    agentOfflineAfterSec: config.agentOfflineAfterSec,
  });
  const admin = resolveAdminToken(config.home, config.adminToken);
  const gatewayLogger = createLogger('gateway', config.logLevel);
  const app = await createGatewayApp({ bus, logger: gatewayLogger, adminToken: admin.token }, [
    CoordinatorModule.forRuntime(coordinator, coordinatorLogger),
  ]);
  app.connectMicroservice(
    broker ? { strategy: new InProcessServer(broker) } : natsServerOptions(config.natsUrl!, QueueGroups.coordinator, 'coordinator'),
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await app.listen(config.port, config.host);

  onShutdown(logger, [() => app.close(), () => coordinator.stop(), () => bus.close(), () => store.close(), () => db.close()]);

  const url = `http://${config.host}:${(app.getHttpServer().address() as { port: number }).port}`;
  logger.info({ url, home: config.home, database: db.embedded ? 'embedded' : 'DATABASE_URL', transport: broker ? 'in-process' : 'nats' }, 'listening');
  /* eslint-disable no-console */
  if (admin.generated) console.log(`Admin token (generated once, kept in ${admin.file}):\n  ${admin.token}`);
  console.log(`Autocoder listening on ${url}  (GraphQL ${url}/graphql, REST ${url}/api, health ${url}/health)`);
  console.log(`Data: ${config.home}  store: ${config.eventstoreUrl ? 'EventStoreDB' : db.embedded ? 'embedded Postgres (PGlite)' : 'Postgres'}  transport: ${broker ? 'in-process' : 'NATS'}`);
}

main().catch(exitOnStartupError(createLogger('autocoder'), 'Autocoder'));
