import {
  AutocoderError,
  ErrorCodes,
  ListRunsInput,
  ProjectIdInput,
  RegisterProjectInput,
  RunControlInput,
  RunIdInput,
  RunLogsInput,
  RunTimelineInput,
  SessionIdInput,
  StartRunInput,
  Subjects,
  UpdateProjectInput,
  parseInput,
  type Actor,
  type FeatureSyncResult,
  type FeatureView,
  type ProjectView,
  type RunLogLine,
  type RunTimelineEntry,
  type RunTimelinePage,
  type RunView,
  type SessionView,
} from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { BusClient } from '../bus-client';
import { MESSAGE_BUS } from '../tokens';

const S = Subjects.runner;

/**
 * Agents' keys may read everything of the runner (projects, runs, the stream, logs); changing
 * anything (registering, syncing, starting and steering runs) needs the admin token. Decided here,
 * before anything is sent, so REST and GraphQL refuse alike.
 */
export function requireAdmin(actor: Actor, what: string): void {
  if (actor.kind !== 'admin') throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs the admin token; an agent's key may only read projects and runs`);
}

/**
 * The gateway's way to the runner, one method per subject. Input is checked against the runner's own
 * schemas first, so a bad field is a 400 naming it without a trip over the bus; the runner checks again.
 */
@Injectable()
export class RunnerClient extends BusClient {
  constructor(@Inject(MESSAGE_BUS) bus: MessageBus) {
    super(bus);
  }

  private admin<T, S extends z.ZodType>(subject: string, schema: S, what: string, actor: Actor, input: unknown, commandId?: string | null) {
    requireAdmin(actor, what);
    return this.command<T>(subject, actor, parseInput(schema, input, `input for ${what}`), commandId);
  }

  private read<T, S extends z.ZodType>(subject: string, schema: S, what: string, actor: Actor, input: unknown) {
    return this.query<T>(subject, actor, parseInput(schema, input, what));
  }

  registerProject(actor: Actor, input: unknown, commandId?: string | null) {
    return this.admin<ProjectView, typeof RegisterProjectInput>(S.registerProject, RegisterProjectInput, 'registering a project', actor, input, commandId);
  }
  updateProject(actor: Actor, input: unknown, commandId?: string | null) {
    return this.admin<ProjectView, typeof UpdateProjectInput>(S.updateProject, UpdateProjectInput, 'updating a project', actor, input, commandId);
  }
  syncFeatures(actor: Actor, input: unknown, commandId?: string | null) {
    return this.admin<FeatureSyncResult, typeof ProjectIdInput>(S.syncFeatures, ProjectIdInput, 'syncing features', actor, input, commandId);
  }
  listProjects(actor: Actor) {
    return this.query<ProjectView[]>(S.listProjects, actor, {});
  }
  getProject(actor: Actor, projectId: unknown) {
    return this.read<ProjectView, typeof ProjectIdInput>(S.getProject, ProjectIdInput, 'project id', actor, { projectId });
  }
  listFeatures(actor: Actor, projectId: unknown) {
    return this.read<FeatureView[], typeof ProjectIdInput>(S.listFeatures, ProjectIdInput, 'project id', actor, { projectId });
  }

  startRun(actor: Actor, input: unknown, commandId?: string | null) {
    return this.admin<RunView, typeof StartRunInput>(S.startRun, StartRunInput, 'starting a run', actor, input, commandId);
  }
  pauseRun(actor: Actor, input: unknown, commandId?: string | null) {
    return this.admin<RunView, typeof RunControlInput>(S.pauseRun, RunControlInput, 'pausing a run', actor, input, commandId);
  }
  resumeRun(actor: Actor, input: unknown, commandId?: string | null) {
    return this.admin<RunView, typeof RunControlInput>(S.resumeRun, RunControlInput, 'resuming a run', actor, input, commandId);
  }
  stopRun(actor: Actor, input: unknown, commandId?: string | null) {
    return this.admin<RunView, typeof RunControlInput>(S.stopRun, RunControlInput, 'stopping a run', actor, input, commandId);
  }
  listRuns(actor: Actor, filter: unknown) {
    return this.read<RunView[], typeof ListRunsInput>(S.listRuns, ListRunsInput, 'run filter', actor, filter);
  }
  getRun(actor: Actor, runId: unknown) {
    return this.read<RunView, typeof RunIdInput>(S.getRun, RunIdInput, 'run id', actor, { runId });
  }
  listSessions(actor: Actor, runId: unknown) {
    return this.read<SessionView[], typeof RunIdInput>(S.listSessions, RunIdInput, 'run id', actor, { runId });
  }
  /** A page of a run's (or one session's) timeline after a sequence number. */
  timeline(actor: Actor, input: unknown) {
    const page = parseInput(RunTimelineInput, input, 'timeline position');
    if (!page.runId && !page.sessionId) {
      throw new AutocoderError(ErrorCodes.ValidationFailed, 'invalid timeline position: runId: give a run id or a session id', [
        { path: 'runId', message: 'give a run id or a session id' },
      ]);
    }
    return this.query<RunTimelinePage>(S.runTimeline, actor, page);
  }
  sessionTimeline(actor: Actor, sessionId: unknown, after: unknown, limit: unknown) {
    parseInput(SessionIdInput, { sessionId }, 'session id');
    return this.timeline(actor, { sessionId, after, limit });
  }
  logs(actor: Actor, filter: unknown) {
    return this.read<RunLogLine[], typeof RunLogsInput>(S.runLogs, RunLogsInput, 'log filter', actor, filter);
  }

  /** Each notification is a hint (at most once); the timeline query is the truth. */
  onRunTimeline(handler: (entry: RunTimelineEntry) => void) {
    return this.bus.subscribe<RunTimelineEntry>(Subjects.notifications.runTimeline, handler);
  }
  onRunUpdated(handler: (run: RunView) => void) {
    return this.bus.subscribe<RunView>(Subjects.notifications.runUpdated, handler);
  }
  onFeatureUpdated(handler: (feature: FeatureView) => void) {
    return this.bus.subscribe<FeatureView>(Subjects.notifications.featureUpdated, handler);
  }
}
