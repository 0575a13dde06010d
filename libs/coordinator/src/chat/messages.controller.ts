import { Subjects, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import { replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { COORDINATOR_LOGGER } from '../coordinator.controller';
import { CoordinatorRuntime } from '../coordinator-runtime';

const S = Subjects.coordinator;

/** Routes the coordination chat's subjects to its use cases. */
@Controller()
export class MessagesController {
  constructor(
    private readonly runtime: CoordinatorRuntime,
    @Inject(COORDINATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.postMessage)
  post(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.messages.post(S.postMessage, e));
  }

  @MessagePattern(S.listMessages)
  list(@Payload() e: QueryEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.messages.list(e));
  }
}
