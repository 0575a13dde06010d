import { Subjects, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import { replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { COORDINATOR_LOGGER } from '../coordinator.controller';
import { CoordinatorRuntime } from '../coordinator-runtime';

const S = Subjects.coordinator;

/** Routes the decisions' subjects to their use cases. */
@Controller()
export class DecisionsController {
  constructor(
    private readonly runtime: CoordinatorRuntime,
    @Inject(COORDINATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.recordDecision)
  recordDecision(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.decisions.create(S.recordDecision, e));
  }

  @MessagePattern(S.reviseDecision)
  reviseDecision(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.decisions.revise(S.reviseDecision, e));
  }

  @MessagePattern(S.listDecisions)
  listDecisions(@Payload() e: QueryEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.decisions.list(e));
  }

  @MessagePattern(S.getDecision)
  getDecision(@Payload() e: QueryEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.decisions.get(e));
  }
}
