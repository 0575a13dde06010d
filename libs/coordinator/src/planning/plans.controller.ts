import { Subjects, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import { replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { COORDINATOR_LOGGER } from '../coordinator.controller';
import { CoordinatorRuntime } from '../coordinator-runtime';

const S = Subjects.coordinator;

/** Routes the plans' subjects to their use cases. */
@Controller()
export class PlansController {
  constructor(
    private readonly runtime: CoordinatorRuntime,
    @Inject(COORDINATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.createPlan)
  createPlan(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.plans.create(S.createPlan, e));
  }

  @MessagePattern(S.revisePlan)
  revisePlan(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.plans.revise(S.revisePlan, e));
  }

  @MessagePattern(S.listPlans)
  listPlans(@Payload() e: QueryEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.plans.list(e));
  }

  @MessagePattern(S.getPlan)
  getPlan(@Payload() e: QueryEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.collaboration.plans.get(e));
  }
}
