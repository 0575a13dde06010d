import { serviceSchemaOf, type ServiceName } from '@autocoder/contracts';
import type { CoordinatorRuntime } from '@autocoder/coordinator';
import { openEventStore, type EventStore } from '@autocoder/eventstore';
import { createGatewayApp } from '@autocoder/gateway';
import { InProcessBroker, NatsMessageBus, type MessageBus } from '@autocoder/messaging';
import { createLogger, openDatabase, resolveAdminToken, type AutocoderConfig, type Database } from '@autocoder/platform';
import { serveService, type RunningService, type ServiceTransport, type ServiceTuning } from '@autocoder/service';
import type { INestApplication, INestMicroservice } from '@nestjs/common';
import { SERVICES } from './services';

export interface RunningAutocoder {
  url: string;
  adminToken: string;
  /** Set when this start generated the admin token (print it once). */
  adminTokenFile: string | null;
  adminTokenGenerated: boolean;
  db: Database;
  store: EventStore;
  bus: MessageBus;
  /** Every running service by name. */
  services: ReadonlyMap<ServiceName, RunningService>;
  coordinator: CoordinatorRuntime;
  app: INestApplication;
  transport: 'in-process' | 'nats';
  stop(): Promise<void>;
}

/** Knobs for the tests, handed to every service (each reads the ones it knows). */
export interface StartOptions extends ServiceTuning {
  /** How often the coordinator looks for silent agents (ms). */
  offlineSweepMs?: number;
  /** How often the coordinator looks for leases that ran out (ms). */
  leaseSweepMs?: number;
}

/**
 * Every service in one process: the composition `npm start` runs, and the one the end-to-end
 * tests start. Embedded Postgres and the in-process transport unless the config names servers.
 * Each service is its own Nest microservice (own queue group on NATS); the gateway is the HTTP app.
 */
export async function startAutocoder(config: AutocoderConfig, options: StartOptions = {}): Promise<RunningAutocoder> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, home: config.home });
  const store = await openEventStore({ eventstoreUrl: config.eventstoreUrl, pool: db.pool, embedded: db.embedded, schema: `${config.schemaPrefix}eventstore` });
  const broker = config.natsUrl ? null : new InProcessBroker();
  const bus: MessageBus = broker ?? (await NatsMessageBus.connect(config.natsUrl!, 'autocoder', config.natsPrefix));
  const transport: ServiceTransport = broker ? { kind: 'in-process', broker } : { kind: 'nats', url: config.natsUrl!, prefix: config.natsPrefix };

  const services = new Map<ServiceName, RunningService>();
  const servers: INestMicroservice[] = [];
  const stopServices = async () => {
    for (const server of servers.splice(0).reverse()) await server.close();
    for (const running of [...services.values()].reverse()) await running.stop();
    services.clear();
  };
  try {
    for (const definition of SERVICES) {
      const logger = createLogger(definition.name, config.logLevel);
      const running = await definition.start({
        store,
        bus,
        databaseUrl: db.url,
        schema: serviceSchemaOf(definition.name, config.schemaPrefix),
        logger,
        config,
        tuning: options,
      });
      services.set(definition.name, running);
      servers.push(await serveService(definition, running, transport, logger));
    }
  } catch (error) {
    await stopServices().catch(() => undefined);
    await bus.close();
    await store.close();
    await db.close();
    throw error;
  }

  const admin = resolveAdminToken(config.home, config.adminToken);
  const app = await createGatewayApp({ bus, logger: createLogger('gateway', config.logLevel), adminToken: admin.token });
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
    services,
    coordinator: services.get('coordinator') as CoordinatorRuntime,
    app,
    transport: broker ? 'in-process' : 'nats',
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await app.close();
      await stopServices();
      await bus.close();
      await store.close();
      await db.close();
    },
  };
}
