import { randomUUID } from 'node:crypto';
import {
  ErrorCodes,
  Subjects,
  emptyUsage,
  type ErrorBody,
  type FeatureCounts,
  type FeatureView,
  type ProjectView,
  type Reply,
  type RunLogLine,
  type RunStreamType,
  type RunTimelineEntry,
  type RunTimelinePage,
  type RunView,
  type SessionView,
} from '@autocoder/contracts';
import type { InProcessBroker } from '@autocoder/messaging';

/** An agent key the double accepts on `coordinator.qry.agent.authenticate` (its shape is the coordinator's). */
export interface ScriptedAgent {
  apiKey: string;
  agentId: string;
  employeeId: string;
}

export const scriptedAgent = (): ScriptedAgent => {
  const agentId = randomUUID();
  const apiKey = `ak_${agentId.replace(/-/g, '')}_${'A'.repeat(43)}`;
  return { apiKey, agentId, employeeId: randomUUID() };
};

const counts = (features: FeatureView[] = []): FeatureCounts => {
  const c: FeatureCounts = { pending: 0, in_progress: 0, passing: 0, failing: 0, skipped: 0, total: features.length };
  for (const f of features) c[f.status] += 1;
  return c;
};

type Envelope = { commandId?: string; correlationId: string; actor: unknown; payload: Record<string, any> };
const notFound = (what: string, id: unknown): ErrorBody => ({ code: ErrorCodes.NotFound, message: `${what} ${String(id)} does not exist` });

/**
 * A test double of the runner's replies and notifications on an in-process bus: projects, features,
 * runs, sessions and a timeline kept in memory and answered as the contracts say, plus the
 * coordinator's key check for the agents given. Tests script what the runner would do (`emit`,
 * `finish`) and read what reached it (`received`). Not the runner: no validation beyond ids.
 */
export class ScriptedRunner {
  readonly received: { subject: string; envelope: Envelope }[] = [];
  readonly projects = new Map<string, ProjectView>();
  readonly features = new Map<string, FeatureView[]>();
  readonly runs = new Map<string, RunView>();
  readonly sessions = new Map<string, SessionView[]>();
  readonly timeline: RunTimelineEntry[] = [];
  readonly logs: RunLogLine[] = [];
  private seq = 0;

  constructor(
    private readonly broker: InProcessBroker,
    readonly agents: ScriptedAgent[] = [],
  ) {
    const R = Subjects.runner;
    const on = (subject: string, answer: (payload: Record<string, any>, envelope: Envelope) => unknown) =>
      broker.register(subject, async (data) => {
        const envelope = data as Envelope;
        this.received.push({ subject, envelope });
        try {
          const value = answer(envelope.payload ?? {}, envelope);
          return { ok: true, value } satisfies Reply<unknown>;
        } catch (error) {
          return { ok: false, error: error as ErrorBody } satisfies Reply<unknown>;
        }
      });
    on(Subjects.coordinator.authenticateAgent, ({ apiKey }) => {
      const agent = this.agents.find((a) => a.apiKey === apiKey);
      if (!agent) throw { code: ErrorCodes.Unauthenticated, message: 'the API key is not valid' };
      return { agentId: agent.agentId, employeeId: agent.employeeId };
    });
    on(R.registerProject, (p) => this.addProject({ name: p.name, spec: p.spec, path: p.path, repositoryUrl: p.repositoryUrl ?? null, network: p.network }));
    on(R.updateProject, (p) => {
      this.project(p.projectId);
      Object.assign(this.projects.get(p.projectId)!, Object.fromEntries(Object.entries({ name: p.name, spec: p.spec, network: p.network }).filter(([, v]) => v !== undefined)));
      return this.project(p.projectId);
    });
    on(R.syncFeatures, (p) => (this.project(p.projectId), { imported: 2, updated: 0, unchanged: 1 }));
    on(R.listProjects, () => [...this.projects.keys()].map((id) => this.project(id)));
    on(R.getProject, (p) => this.project(p.projectId));
    on(R.listFeatures, (p) => (this.project(p.projectId), this.features.get(p.projectId) ?? []));
    on(R.startRun, (p) => {
      this.project(p.projectId);
      return this.addRun(p.projectId, {
        yolo: p.yolo,
        model: p.model ?? 'claude-sonnet-4-6',
        limits: { maxSessions: p.maxSessions ?? 100, maxTurnsPerSession: p.maxTurnsPerSession ?? 200, maxTokens: p.maxTokens ?? 0 },
      });
    });
    const control = (status: RunView['status']) => (p: Record<string, any>) => {
      const run = this.run(p.runId);
      if (run.endedAt) throw { code: ErrorCodes.InvalidTransition, message: `run ${run.runId} has ended (${run.status})` } satisfies ErrorBody;
      return this.update(run.runId, { status, reason: p.reason ?? null, ...(status === 'stopped' ? { endedAt: new Date().toISOString() } : {}) });
    };
    on(R.pauseRun, control('paused'));
    on(R.resumeRun, control('running'));
    on(R.stopRun, control('stopped'));
    on(R.listRuns, (p) => [...this.runs.values()].filter((r) => !p.projectId || r.projectId === p.projectId).map((r) => this.run(r.runId)));
    on(R.getRun, (p) => this.run(p.runId));
    on(R.listSessions, (p) => (this.run(p.runId), this.sessions.get(p.runId) ?? []));
    on(R.runTimeline, (p): RunTimelinePage => {
      const after = Number(p.after ?? 0);
      const limit = Number(p.limit ?? 500);
      if (p.runId) this.run(p.runId);
      const matching = this.timeline.filter((e) => e.seq > after && (!p.runId || e.runId === p.runId) && (!p.sessionId || e.sessionId === p.sessionId));
      const runId = p.runId ?? matching[0]?.runId;
      return { entries: matching.slice(0, limit), finished: runId ? Boolean(this.runs.get(runId)?.endedAt) : false };
    });
    on(R.runLogs, (p) => {
      this.run(p.runId);
      const order = ['debug', 'info', 'warn', 'error'];
      return this.logs
        .filter((l) => l.runId === p.runId && (!p.sessionId || l.sessionId === p.sessionId) && (!p.level || order.indexOf(l.level) >= order.indexOf(p.level)))
        .filter((l) => !p.since || l.at >= p.since)
        .slice(0, Number(p.limit ?? 1000));
    });
  }

  /** The coordinator stops accepting an agent's key (a rotation) and says so with agentUpdated. */
  revokeAgent(agentId: string) {
    const index = this.agents.findIndex((a) => a.agentId === agentId);
    if (index >= 0) this.agents.splice(index, 1);
    this.broker.publish(Subjects.notifications.agentUpdated, { agentId, status: 'active' });
  }

  /** Subjects the gateway sent, in order, with each envelope. */
  sent(subject: string) {
    return this.received.filter((r) => r.subject === subject).map((r) => r.envelope);
  }

  addProject(overrides: Partial<ProjectView> = {}): ProjectView {
    const projectId = overrides.projectId ?? randomUUID();
    const at = new Date().toISOString();
    const project: ProjectView = {
      projectId,
      name: 'todo app',
      spec: 'Build a todo app.',
      path: `/var/autocoder/projects/${projectId}`,
      repositoryUrl: null,
      network: false,
      featureCounts: counts(),
      registeredAt: at,
      updatedAt: at,
      ...Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)),
    };
    this.projects.set(projectId, project);
    return this.project(projectId);
  }

  addFeature(projectId: string, overrides: Partial<FeatureView> = {}): FeatureView {
    const list = this.features.get(projectId) ?? [];
    const feature: FeatureView = {
      featureId: randomUUID(),
      projectId,
      index: list.length,
      category: 'functional',
      name: `feature ${list.length + 1}`,
      description: 'A user can do a thing.',
      steps: ['open the app', 'do the thing'],
      priority: list.length,
      dependsOn: [],
      status: 'pending',
      taskId: randomUUID(),
      reason: null,
      evidence: null,
      yolo: false,
      updatedAt: new Date().toISOString(),
      ...overrides,
    };
    list.push(feature);
    this.features.set(projectId, list);
    return feature;
  }

  /** Changes a feature and publishes featureUpdated, as the runner's projection would. */
  changeFeature(featureId: string, change: Partial<FeatureView>): FeatureView {
    const feature = [...this.features.values()].flat().find((f) => f.featureId === featureId)!;
    Object.assign(feature, change, { updatedAt: new Date().toISOString() });
    this.broker.publish(Subjects.notifications.featureUpdated, feature);
    return feature;
  }

  addRun(projectId: string, overrides: Partial<RunView> = {}): RunView {
    const runId = overrides.runId ?? randomUUID();
    const at = new Date().toISOString();
    this.runs.set(runId, {
      runId,
      projectId,
      status: 'running',
      yolo: false,
      model: 'claude-sonnet-4-6',
      limits: { maxSessions: 100, maxTurnsPerSession: 200, maxTokens: 0 },
      sessions: 0,
      modelCalls: 0,
      toolCalls: 0,
      featureCounts: counts(),
      usage: emptyUsage(),
      reason: null,
      completion: null,
      startedAt: at,
      updatedAt: at,
      endedAt: null,
      ...overrides,
    });
    return this.run(runId);
  }

  addSession(runId: string, overrides: Partial<SessionView> = {}): SessionView {
    const run = this.run(runId);
    const list = this.sessions.get(runId) ?? [];
    const session: SessionView = {
      sessionId: randomUUID(),
      runId,
      projectId: run.projectId,
      number: list.length + 1,
      kind: list.length ? 'coding' : 'initializer',
      featureId: null,
      taskId: null,
      model: run.model,
      turns: 0,
      toolCalls: 0,
      usage: emptyUsage(),
      outcome: null,
      reason: null,
      startedAt: new Date().toISOString(),
      endedAt: null,
      ...overrides,
    };
    list.push(session);
    this.sessions.set(runId, list);
    this.update(runId, { sessions: list.length });
    return session;
  }

  /** Appends a timeline entry (and a log line) and publishes the runTimeline notification, unless `notify` is false. */
  emit(runId: string, type: RunStreamType, data: Record<string, unknown> = {}, options: { sessionId?: string | null; eventType?: string; notify?: boolean } = {}): RunTimelineEntry {
    const run = this.run(runId);
    const entry: RunTimelineEntry = {
      seq: ++this.seq,
      runId,
      projectId: run.projectId,
      sessionId: options.sessionId ?? null,
      type,
      eventType: options.eventType ?? type,
      at: new Date().toISOString(),
      data,
    };
    this.timeline.push(entry);
    this.logs.push({
      level: type === 'error' ? 'error' : type === 'tool_call' || type === 'tool_result' ? 'debug' : 'info',
      at: entry.at,
      msg: `${type}${typeof data.message === 'string' ? `: ${data.message}` : ''}`,
      runId,
      sessionId: entry.sessionId,
      correlationId: null,
      eventType: entry.eventType,
      seq: entry.seq,
      data,
    });
    if (options.notify !== false) this.broker.publish(Subjects.notifications.runTimeline, entry);
    return entry;
  }

  /** Changes a run and publishes runUpdated. */
  update(runId: string, change: Partial<RunView>): RunView {
    Object.assign(this.runs.get(runId)!, change, { updatedAt: new Date().toISOString() });
    const run = this.run(runId);
    this.broker.publish(Subjects.notifications.runUpdated, run);
    return run;
  }

  /** Ends a run: its `complete` entry, then the run marked ended (what the stream waits for). */
  finish(runId: string, status: RunView['status'] = 'completed', options: { notify?: boolean } = {}): RunView {
    this.emit(runId, 'complete', { status }, { eventType: status === 'completed' ? 'RunCompleted' : 'RunStopped', notify: options.notify });
    Object.assign(this.runs.get(runId)!, { status, endedAt: new Date().toISOString(), completion: status === 'completed' ? 'all_features_done' : null });
    return this.run(runId);
  }

  private project(projectId: string): ProjectView {
    const project = this.projects.get(projectId);
    if (!project) throw notFound('project', projectId);
    return { ...project, featureCounts: counts(this.features.get(projectId)) };
  }

  private run(runId: string): RunView {
    const run = this.runs.get(runId);
    if (!run) throw notFound('run', runId);
    return structuredClone(run);
  }
}
