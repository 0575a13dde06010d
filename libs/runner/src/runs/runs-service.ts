import {
  AutocoderError,
  ErrorCodes,
  ListRunsInput,
  RunControlInput,
  RunIdInput,
  RunLogsInput,
  RunTimelineInput,
  SessionIdInput,
  StartRunInput,
  actorLabel,
  nameBasedUuid,
  parseInput,
  projectStreamName,
  runStreamName,
  type CommandEnvelope,
  type ProjectEvent,
  type QueryEnvelope,
  type RunEvent,
  type RunView,
} from '@autocoder/contracts';
import { contextOf, type AggregateStore } from '@autocoder/eventstore';
import type { CommandLog } from '@autocoder/messaging';
import type { RunnerSettings } from '@autocoder/platform';
import { assertUsableModel } from '../agent';
import { featureCountsOf, type ProjectCommand, type ProjectState } from '../projects/project';
import { requireAdmin } from '../projects/projects-service';
import type { RunnerQueries } from '../read-models';
import type { ExistingRun, RunCommand, RunState } from './run';

const emptyUsage = { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 };

/** Starts runs and takes the controls (pause, resume, stop); the supervisor drives them. */
export class RunsService {
  constructor(
    private readonly runs: AggregateStore<RunCommand, RunEvent, RunState>,
    private readonly projects: AggregateStore<ProjectCommand, ProjectEvent, ProjectState>,
    private readonly commands: CommandLog,
    private readonly queries: RunnerQueries,
    private readonly settings: RunnerSettings & { defaultModel: string },
    /** A run was started or resumed here: drive it now rather than at the next sweep. */
    private readonly onActive: (runId: string) => void,
    /** Read your writes: the runs read model has the event at this position (or a few seconds passed). */
    private readonly projected: (position: number | null) => Promise<void> = async () => undefined,
  ) {}

  async start(subject: string, envelope: CommandEnvelope): Promise<RunView> {
    requireAdmin(envelope.actor, 'starting a run');
    const input = parseInput(StartRunInput, envelope.payload, 'run');
    const model = input.model ?? this.settings.model ?? this.settings.defaultModel;
    assertUsableModel(model);
    const value = await this.commands.run(subject, envelope, async () => {
      const project = await this.projects.load(projectStreamName(input.projectId));
      if (!project.state.exists) throw new AutocoderError(ErrorCodes.NotFound, `project ${input.projectId} does not exist`);
      const active = (await this.queries.listRuns({ projectId: input.projectId })).find((r) => r.status === 'running' || r.status === 'paused');
      if (active) throw new AutocoderError(ErrorCodes.Conflict, `project ${input.projectId} already has run ${active.runId} ${active.status}; stop it before starting another`);
      const runId = nameBasedUuid(`runner/run/${envelope.commandId}`);
      const limits = {
        maxSessions: input.maxSessions ?? this.settings.maxSessions,
        maxTurnsPerSession: input.maxTurnsPerSession ?? this.settings.maxTurnsPerSession,
        maxTokens: input.maxTokens ?? this.settings.maxTokens,
      };
      const now = new Date().toISOString();
      const handled = await this.runs.handle(
        runStreamName(runId),
        { type: 'StartRun', data: { runId, projectId: input.projectId, yolo: input.yolo, model, limits, autoContinueDelaySec: this.settings.autoContinueDelaySec, startedBy: actorLabel(envelope.actor), now } },
        contextOf(envelope),
      );
      const run = handled.state as ExistingRun;
      // Driven before the read model shows it: the supervisor's sweep would take a running run it does
      // not drive for one whose runner died, and record it as recovered.
      this.onActive(runId);
      await this.projected(handled.position);
      const view: RunView = {
        runId,
        projectId: run.projectId,
        status: run.status,
        yolo: run.yolo,
        model: run.model,
        limits: run.limits,
        sessions: 0,
        modelCalls: 0,
        toolCalls: 0,
        featureCounts: featureCountsOf(project.state),
        usage: emptyUsage,
        reason: null,
        completion: null,
        startedAt: now,
        updatedAt: now,
        endedAt: null,
      };
      return { value: view };
    });
    // Again for a repeated command (answered from the log): a no-op when it is driven already.
    this.onActive(value.runId);
    return value;
  }

  private control(subject: string, envelope: CommandEnvelope, what: string, command: (reason: string | undefined, by: string, now: string) => RunCommand) {
    requireAdmin(envelope.actor, `${what} a run`);
    const input = parseInput(RunControlInput, envelope.payload, `${what} request`);
    return this.commands.run(subject, envelope, async () => {
      const stream = runStreamName(input.runId);
      const loaded = await this.runs.load(stream);
      if (!loaded.state.exists) throw new AutocoderError(ErrorCodes.NotFound, `run ${input.runId} does not exist`);
      const handled = await this.runs.handle(stream, command(input.reason, actorLabel(envelope.actor), new Date().toISOString()), contextOf(envelope));
      const run = handled.state as ExistingRun;
      await this.projected(handled.position);
      if (run.status === 'running') this.onActive(run.runId);
      return { value: { runId: run.runId, status: run.status, reason: run.reason } };
    });
  }

  pause(subject: string, envelope: CommandEnvelope) {
    return this.control(subject, envelope, 'pausing', (reason, by, now) => ({ type: 'PauseRun', data: { reason: reason ?? 'paused by a person', by, now } }));
  }

  resume(subject: string, envelope: CommandEnvelope) {
    return this.control(subject, envelope, 'resuming', (_reason, by, now) => ({ type: 'ResumeRun', data: { by, now } }));
  }

  stop(subject: string, envelope: CommandEnvelope) {
    return this.control(subject, envelope, 'stopping', (reason, by, now) => ({ type: 'StopRun', data: { reason: reason ?? 'stopped by a person', by, now } }));
  }

  list(envelope: QueryEnvelope) {
    return this.queries.listRuns(parseInput(ListRunsInput, envelope.payload ?? {}, 'run list'));
  }

  get(envelope: QueryEnvelope) {
    return this.queries.getRun(parseInput(RunIdInput, envelope.payload, 'run lookup').runId);
  }

  sessions(envelope: QueryEnvelope) {
    return this.queries.listSessions(parseInput(RunIdInput, envelope.payload, 'session list').runId);
  }

  timeline(envelope: QueryEnvelope) {
    return this.queries.timeline(parseInput(RunTimelineInput, envelope.payload, 'timeline page'));
  }

  logs(envelope: QueryEnvelope) {
    return this.queries.logs(parseInput(RunLogsInput, envelope.payload, 'log query'));
  }

  /** Accepted for the session log export: a session id. */
  static sessionOf(envelope: QueryEnvelope): string {
    return parseInput(SessionIdInput, envelope.payload, 'session').sessionId;
  }
}
