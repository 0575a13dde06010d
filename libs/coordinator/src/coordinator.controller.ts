import { Subjects, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import { replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { CoordinatorRuntime } from './coordinator-runtime';

export const COORDINATOR_LOGGER = Symbol('COORDINATOR_LOGGER');
const S = Subjects.coordinator;

/** Routes the coordinator's subjects to its use cases; every answer is a Reply value. */
@Controller()
export class CoordinatorController {
  constructor(
    private readonly runtime: CoordinatorRuntime,
    @Inject(COORDINATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.registerAgent)
  registerAgent(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.agents.register(S.registerAgent, envelope));
  }

  @MessagePattern(S.recordAgentHeartbeat)
  recordAgentHeartbeat(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.agents.heartbeat(S.recordAgentHeartbeat, envelope));
  }

  @MessagePattern(S.listAgents)
  listAgents(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.agents.list(envelope));
  }

  @MessagePattern(S.getAgent)
  getAgent(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.agents.get(envelope));
  }

  @MessagePattern(S.authenticateAgent)
  authenticateAgent(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.agents.authenticate(envelope));
  }
}
