import { Subjects, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import { replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { COORDINATOR_LOGGER } from '../coordinator.controller';
import { CoordinatorRuntime } from '../coordinator-runtime';

const S = Subjects.coordinator;

/** Routes the task pipeline's subjects to its use cases. */
@Controller()
export class TasksController {
  constructor(
    private readonly runtime: CoordinatorRuntime,
    @Inject(COORDINATOR_LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.createTask)
  create(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.create(S.createTask, e));
  }

  @MessagePattern(S.claimTask)
  claim(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.claim(S.claimTask, e));
  }

  @MessagePattern(S.claimNextTask)
  claimNext(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.claimNext(S.claimNextTask, e));
  }

  @MessagePattern(S.heartbeatTask)
  heartbeat(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.heartbeat(S.heartbeatTask, e));
  }

  @MessagePattern(S.releaseTask)
  release(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.release(S.releaseTask, e));
  }

  @MessagePattern(S.changeTaskStatus)
  changeStatus(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.changeStatus(S.changeTaskStatus, e));
  }

  @MessagePattern(S.holderHeartbeat)
  holderHeartbeat(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.holderHeartbeat(S.holderHeartbeat, e));
  }

  @MessagePattern(S.holderRelease)
  holderRelease(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.holderRelease(S.holderRelease, e));
  }

  @MessagePattern(S.holderStatus)
  holderStatus(@Payload() e: CommandEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.holderChangeStatus(S.holderStatus, e));
  }

  @MessagePattern(S.listTasks)
  list(@Payload() e: QueryEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.list(e));
  }

  @MessagePattern(S.getTask)
  get(@Payload() e: QueryEnvelope) {
    return replyTo(e, this.logger, () => this.runtime.tasks.get(e));
  }
}
