import { QueueGroups } from '@autocoder/contracts';
import { CoordinatorModule, CoordinatorRuntime } from '@autocoder/coordinator';
import { openEventStore, type EventStore } from '@autocoder/eventstore';
import { createGatewayApp } from '@autocoder/gateway';
import { InProcessBroker, InProcessServer, NatsMessageBus, natsServerOptions, type MessageBus } from '@autocoder/messaging';
import { createLogger, openDatabase, resolveAdminToken, type AutocoderConfig, type Database } from '@autocoder/platform';
import type { INestApplication } from '@nestjs/common';

export interface RunningAutocoder {
  url: string;
  adminToken: string;
  /** Set when this start generated the admin token (print it once). */
  adminTokenFile: string | null;
  adminTokenGenerated: boolean;
  db: Database;
  store: EventStore;
  bus: MessageBus;
  coordinator: CoordinatorRuntime;
  app: INestApplication;
  transport: 'in-process' | 'nats';
  stop(): Promise<void>;
}

export interface StartOptions {
  /** How often the coordinator looks for silent agents (ms). */
  offlineSweepMs?: number;
  /** How often the coordinator looks for leases that ran out (ms). */
  leaseSweepMs?: number;
}

/**
 * Every service in one process: the composition `npm start` runs, and the one the end-to-end
 * tests start. Embedded Postgres and the in-process transport unless the config names servers.
 */
export async function startAutocoder(config: AutocoderConfig, options: StartOptions = {}): Promise<RunningAutocoder> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, home: config.home });
  const store = await openEventStore({ eventstoreUrl: config.eventstoreUrl, pool: db.pool, embedded: db.embedded, schema: `${config.schemaPrefix}eventstore` });
  const broker = config.natsUrl ? null : new InProcessBroker();
  const bus: MessageBus = broker ?? (await NatsMessageBus.connect(config.natsUrl!, 'autocoder', config.natsPrefix));

  const coordinatorLogger = createLogger('coordinator', config.logLevel);
  const coordinator = await CoordinatorRuntime.start({
    store,
    bus,
    databaseUrl: db.url,
    schema: `${config.schemaPrefix}coordinator`,
    logger: coordinatorLogger,
    heartbeatIntervalSec: config.heartbeatIntervalSec,
    agentOfflineAfterSec: config.agentOfflineAfterSec,
    offlineSweepMs: options.offlineSweepMs,
    leaseSweepMs: options.leaseSweepMs,
  });
  const admin = resolveAdminToken(config.home, config.adminToken);
  const app = await createGatewayApp({ bus, logger: createLogger('gateway', config.logLevel), adminToken: admin.token }, [
    CoordinatorModule.forRuntime(coordinator, coordinatorLogger),
  ]);
  app.connectMicroservice(
    broker ? { strategy: new InProcessServer(broker) } : natsServerOptions(config.natsUrl!, QueueGroups.coordinator, 'coordinator', config.natsPrefix),
    { inheritAppConfig: true },
  );
  await app.startAllMicroservices();
  await app.listen(config.port, config.host);
  const { port } = app.getHttpServer().address() as { port: number };

  let stopped = false;
  return {
    url: `http://${config.host}:${port}`,
    adminToken: admin.token,
    adminTokenFile: admin.file,
    adminTokenGenerated: admin.generated,
    db,
    store,
    bus,
    coordinator,
    app,
    transport: broker ? 'in-process' : 'nats',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await app.close();
      await coordinator.stop();
      await bus.close();
      await store.close();
      await db.close();
    },
  };
}
