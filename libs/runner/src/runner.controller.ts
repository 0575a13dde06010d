import { Subjects, type CommandEnvelope, type QueryEnvelope } from '@autocoder/contracts';
import { replyTo } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RunnerRuntime } from './runner-runtime';

export const RUNNER_LOGGER = Symbol('RUNNER_LOGGER');
const S = Subjects.runner;

/** Routes the runner's subjects to its use cases; every answer is a Reply value. */
@Controller()
export class RunnerController {
  constructor(
    private readonly runtime: RunnerRuntime,
    @Inject(RUNNER_LOGGER) private readonly logger: Logger,
  ) {}

  @MessagePattern(S.registerProject)
  registerProject(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.projects.register(S.registerProject, envelope));
  }

  @MessagePattern(S.updateProject)
  updateProject(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.projects.update(S.updateProject, envelope));
  }

  @MessagePattern(S.syncFeatures)
  syncFeatures(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.projects.syncFeatures(S.syncFeatures, envelope));
  }

  @MessagePattern(S.listProjects)
  listProjects(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.projects.list(envelope));
  }

  @MessagePattern(S.getProject)
  getProject(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.projects.get(envelope));
  }

  @MessagePattern(S.listFeatures)
  listFeatures(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.projects.features(envelope));
  }

  @MessagePattern(S.startRun)
  startRun(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.start(S.startRun, envelope));
  }

  @MessagePattern(S.pauseRun)
  pauseRun(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.pause(S.pauseRun, envelope));
  }

  @MessagePattern(S.resumeRun)
  resumeRun(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.resume(S.resumeRun, envelope));
  }

  @MessagePattern(S.stopRun)
  stopRun(@Payload() envelope: CommandEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.stop(S.stopRun, envelope));
  }

  @MessagePattern(S.listRuns)
  listRuns(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.list(envelope));
  }

  @MessagePattern(S.getRun)
  getRun(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.get(envelope));
  }

  @MessagePattern(S.listSessions)
  listSessions(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.sessions(envelope));
  }

  @MessagePattern(S.runTimeline)
  runTimeline(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.timeline(envelope));
  }

  @MessagePattern(S.runLogs)
  runLogs(@Payload() envelope: QueryEnvelope) {
    return replyTo(envelope, this.logger, () => this.runtime.runs.logs(envelope));
  }
}
