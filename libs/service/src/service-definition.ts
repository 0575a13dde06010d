import type { ServiceName } from '@autocoder/contracts';
import type { EventStore } from '@autocoder/eventstore';
import type { MessageBus } from '@autocoder/messaging';
import type { AutocoderConfig, Logger } from '@autocoder/platform';
import type { DynamicModule } from '@nestjs/common';
import type { EventProcessors } from './event-processors';

/** Knobs the tests turn (sweep intervals and the like); each service reads the ones it knows. */
export type ServiceTuning = Readonly<Record<string, number | undefined>>;

/** What a service is given to start: the shared store and bus, and its own schema in the shared database. */
export interface ServiceDeps {
  store: EventStore;
  bus: MessageBus;
  /** Connection string of the database that holds the service's schema. */
  databaseUrl: string;
  /** The service's own Postgres schema: no other service reads it. */
  schema: string;
  logger: Logger;
  config: AutocoderConfig;
  tuning: ServiceTuning;
}

/** A started service: its projectors and reactors (which the kit can rebuild and report on), and how to stop. */
export interface RunningService {
  readonly processors: EventProcessors;
  stop(): Promise<void>;
}

/**
 * A bounded context as the composition roots see it. Adding a context is a definition like this one,
 * its name in `ServiceNames`, one line in the list of services (libs/autocoder/src/services.ts) and an
 * app whose main.ts is `runServiceProcess(definition)`; the schema, queue group, migrations, rebuild
 * and status subjects follow from the name.
 */
export interface ServiceDefinition<R extends RunningService = RunningService> {
  name: ServiceName;
  start(deps: ServiceDeps): Promise<R>;
  /** The Nest module whose @MessagePattern handlers serve the service's subjects. */
  messageModule(running: R, logger: Logger): DynamicModule;
}
