import { AutocoderError, ErrorCodes, serviceSubjects, type CommandEnvelope, type QueryEnvelope, type ServiceName } from '@autocoder/contracts';
import { replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Controller, type Type } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { EventProcessors } from './event-processors';

const requireOperator = (envelope: { actor?: { kind: string } }, what: string) => {
  if (envelope.actor?.kind !== 'admin' && envelope.actor?.kind !== 'system') throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs the admin token`);
};

/**
 * The subjects every service answers about its own projectors and reactors (rebuild, status), under
 * its own name. A class per service, since Nest reads the subjects from decorators.
 */
export function processorsControllerFor(service: ServiceName, processors: EventProcessors, logger: Logger): Type<unknown> {
  const subjects = serviceSubjects(service);

  @Controller()
  class ProcessorsController {
    @MessagePattern(subjects.rebuildProjections)
    rebuild(@Payload() envelope: CommandEnvelope) {
      return replyTo(envelope, logger, async () => {
        requireOperator(envelope, 'rebuilding projections');
        return processors.rebuildProjections(envelope);
      });
    }

    @MessagePattern(subjects.processorStatus)
    status(@Payload() envelope: QueryEnvelope) {
      return replyTo(envelope, logger, async () => {
        requireOperator(envelope, 'the status of projections and reactors');
        return processors.status();
      });
    }
  }
  Object.defineProperty(ProcessorsController, 'name', { value: `${service[0].toUpperCase()}${service.slice(1)}ProcessorsController` });
  return ProcessorsController;
}
