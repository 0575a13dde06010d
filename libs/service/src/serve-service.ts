import { queueGroupOf } from '@autocoder/contracts';
import { InProcessServer, natsServerOptions, type InProcessBroker } from '@autocoder/messaging';
import { PinoNestLogger, type Logger } from '@autocoder/platform';
import { Module, type INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { processorsControllerFor } from './processors-controller';
import type { RunningService, ServiceDefinition } from './service-definition';

/** Where a service's handlers listen: NATS in the service's own queue group, or the in-process broker. */
export type ServiceTransport = { kind: 'nats'; url: string; prefix: string } | { kind: 'in-process'; broker: InProcessBroker };

/**
 * Serves a started service's subjects as a Nest microservice of its own: its module's handlers and
 * the kit's rebuild/status handlers. One microservice per service keeps each in its own queue group,
 * also when several services share a process.
 */
export async function serveService<R extends RunningService>(
  definition: ServiceDefinition<R>,
  running: R,
  transport: ServiceTransport,
  logger: Logger,
): Promise<INestMicroservice> {
  @Module({ imports: [definition.messageModule(running, logger)], controllers: [processorsControllerFor(definition.name, running.processors, logger)] })
  class ServiceModule {}
  const app = await NestFactory.createMicroservice(ServiceModule, {
    ...(transport.kind === 'nats'
      ? natsServerOptions(transport.url, queueGroupOf(definition.name), definition.name, transport.prefix)
      : { strategy: new InProcessServer(transport.broker) }),
    logger: new PinoNestLogger(logger),
  });
  await app.listen();
  return app;
}
