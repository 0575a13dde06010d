import { Subjects, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import { replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { UsageRuntime } from './usage-runtime';

export const USAGE_LOGGER = Symbol('USAGE_LOGGER');
const S = Subjects.usage;

/** Routes the usage subjects: the ledger's queries and recost, and the budgets' part. */
@Controller()
export class UsageController {
  constructor(
    private readonly runtime: UsageRuntime,
    @Inject(USAGE_LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.projectUsage)
  projectUsage(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.ledger.projectUsage(envelope));
  }

  @MessagePattern(S.allUsage)
  allUsage(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.ledger.allUsage());
  }

  @MessagePattern(S.ledger)
  ledger(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.ledger.ledger(envelope));
  }

  @MessagePattern(S.series)
  series(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.ledger.series(envelope));
  }

  @MessagePattern(S.runCost)
  runCost(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.ledger.runCost(envelope));
  }

  @MessagePattern(S.estimate)
  estimate(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.ledger.estimate(envelope));
  }

  @MessagePattern(S.recost)
  recost(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.ledger.recost(S.recost, envelope));
  }

  @MessagePattern(S.setBudget)
  setBudget(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.budgets.setBudget(S.setBudget, envelope));
  }

  @MessagePattern(S.reserve)
  reserve(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.budgets.reserve(S.reserve, envelope));
  }

  @MessagePattern(S.budgets)
  budgets(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.budgets.list(envelope));
  }
}
