import {
  isAutocoderError,
  nameBasedUuid,
  projectStreamName,
  runStreamName,
  sessionStreamName,
  type FeatureEvidence,
  type FeatureStatus,
  type ProjectEvent,
  type RunEvent,
  type SessionEvent,
} from '@autocoder/contracts';
import type { AggregateStore, CommandContext } from '@autocoder/eventstore';
import type { Logger, RunnerSettings } from '@autocoder/platform';
import { CODING_SYSTEM_PROMPT, codingFirstMessage, codingTools, codingToolNames, INITIALIZER_SYSTEM_PROMPT, initializerFirstMessage, initializerToolNames, initializerTools } from '../agent';
import { featureTaskId } from '../projects/feature-tasks';
import { featureCountsOf, isFinished, type ExistingProject, type FeatureDraft, type ProjectCommand, type ProjectState } from '../projects/project';
import { isRunEnded, type ExistingRun, type OpenSession, type RunCommand, type RunState } from '../runs/run';
import { gateEvidence, type ExistingSession, type SessionCommand, type SessionState } from '../sessions/session';
import type { Workspace } from '../workspace';
import type { CoordinatorTasks } from './coordinator-tasks';
import type { ModelClient } from '../agent';
import { DriverHalted, type RunControls } from './run-controls';
import { SessionDriver, type SessionEnd } from './session-driver';
import { ToolExecutor, type FeatureToolHost } from './tool-executor';
import type { BudgetGate } from './usage-budget';

export interface RunDriverDeps {
  runs: AggregateStore<RunCommand, RunEvent, RunState>;
  projects: AggregateStore<ProjectCommand, ProjectEvent, ProjectState>;
  sessions: AggregateStore<SessionCommand, SessionEvent, SessionState>;
  tasks: CoordinatorTasks;
  model: ModelClient;
  /** The usage service's budgets: a reservation before every model call. */
  budget: BudgetGate;
  openWorkspace(project: ExistingProject): Promise<Workspace>;
  settings: RunnerSettings;
  initializerModel: string;
  logger: Logger;
  /** How long to wait for a claimable feature task before calling the run done (tasks appear through the outbox). */
  claimPatienceMs?: number;
  pollMs?: number;
  /** Resolves once the runner is an agent of the coordinator (it claims tasks as one). */
  ready(): Promise<void>;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done);
  });

/** Codes after which another session would only repeat the failure: the run fails instead. */
const FATAL_MODEL_CODES = ['MODEL_REQUEST_INVALID', 'MODEL_DEPRECATED', 'MODEL_UNAVAILABLE'];

/**
 * Drives one run to its end: an initializer session when the project has no features, then one
 * coding session per claimed feature task, until every feature passes or is skipped or a limit is
 * hit — and then no further model call. Every decision is taken from the run's, project's and
 * sessions' events, so a runner that picks the run up after a crash carries on where it stood.
 */
export class RunDriver {
  private readonly stopping = new AbortController();

  constructor(
    private readonly runId: string,
    private readonly deps: RunDriverDeps,
  ) {}

  private now = () => new Date().toISOString();

  private context(label: string): CommandContext {
    return { commandId: nameBasedUuid(`runner/run/${this.runId}/${label}`), correlationId: this.runId, actor: 'system:runner', time: this.now() };
  }

  private async run(): Promise<ExistingRun> {
    const { state } = await this.deps.runs.load(runStreamName(this.runId));
    if (!state.exists) throw new Error(`run ${this.runId} does not exist`);
    return state;
  }

  private async onRun(command: RunCommand, label: string): Promise<ExistingRun> {
    return (await this.deps.runs.handle(runStreamName(this.runId), command, this.context(label))).state as ExistingRun;
  }

  private async project(projectId: string): Promise<ExistingProject> {
    const { state } = await this.deps.projects.load(projectStreamName(projectId));
    if (!state.exists) throw new Error(`project ${projectId} does not exist`);
    return state;
  }

  /** Ends the driver's waits (the process is shutting down); the run stays as it is recorded. */
  halt(): void {
    this.stopping.abort();
  }

  async drive(): Promise<void> {
    await this.deps.ready();
    const poll = this.deps.pollMs ?? 250;
    let waitingSince: number | null = null;
    let claimAttempt = 0;
    let first = true;
    while (!this.stopping.signal.aborted) {
      const run = await this.run();
      if (isRunEnded(run.status)) return;
      if (run.status === 'paused') {
        await sleep(poll, this.stopping.signal);
        continue;
      }
      if (run.openSession) {
        await this.driveSession(run, run.openSession);
        first = false;
        continue;
      }
      const project = await this.project(run.projectId);
      const limit = run.limits;
      if (limit.maxTokens > 0 && run.tokens >= limit.maxTokens) {
        await this.onRun({ type: 'CompleteRun', data: { reason: 'max_tokens', now: this.now() } }, 'complete');
        continue;
      }
      if (project.features.length > 0 && project.features.every(isFinished)) {
        await this.onRun({ type: 'CompleteRun', data: { reason: 'all_features_done', now: this.now() } }, 'complete');
        continue;
      }
      if (run.sessions >= limit.maxSessions) {
        await this.onRun({ type: 'CompleteRun', data: { reason: 'max_sessions', now: this.now() } }, 'complete');
        continue;
      }
      if (!first && run.autoContinueDelaySec > 0 && waitingSince === null) await sleep(run.autoContinueDelaySec * 1000, this.stopping.signal);
      first = false;

      if (project.features.length === 0) {
        if (run.kinds.includes('initializer')) {
          await this.onRun({ type: 'FailRun', data: { code: 'NO_FEATURES', message: 'the initializer session ended without defining any feature', now: this.now() } }, 'fail');
          continue;
        }
        await this.open(run, { kind: 'initializer', featureId: null, taskId: null, fencingToken: null });
        continue;
      }

      // Each attempt has its own request id: a retried attempt (after a crash) is answered with the
      // task it claimed, and a new attempt after a null answer asks again.
      claimAttempt++;
      const requestId = nameBasedUuid(`runner/claim/${this.runId}/${run.sessions + 1}/${claimAttempt}`);
      const claim = await this.deps.tasks.claimNext(run.projectId, this.deps.settings.featureLeaseSec, requestId);
      if (!claim) {
        waitingSince ??= Date.now();
        if (Date.now() - waitingSince > (this.deps.claimPatienceMs ?? 30_000)) {
          await this.onRun({ type: 'CompleteRun', data: { reason: 'nothing_to_do', now: this.now() } }, 'complete');
          continue;
        }
        await sleep(Math.max(poll, 500), this.stopping.signal);
        continue;
      }
      waitingSince = null;
      const feature = project.features.find((f) => featureTaskId(f.featureId) === claim.task.taskId);
      if (!feature) {
        await this.deps.tasks.release(claim.task.taskId, claim.fencingToken, 'not a feature of this project', `${requestId}/release`).catch(() => undefined);
        continue; // with the next attempt's request id: this one would answer the same claim again
      }
      if (isFinished(feature)) {
        // Its session could not close the task (its lease ran out first): close it now. Given back,
        // it would be the best ready task again and claimed again, endlessly.
        await this.closeTask(claim.task.taskId, claim.fencingToken, `${requestId}/finished`).catch((error) =>
          this.deps.logger.warn({ err: error, taskId: claim.task.taskId }, 'could not close the task of a finished feature'),
        );
        continue;
      }
      claimAttempt = 0;
      await this.open(run, { kind: 'coding', featureId: feature.featureId, taskId: claim.task.taskId, fencingToken: claim.fencingToken });
    }
  }

  private async open(run: ExistingRun, session: Omit<OpenSession, 'sessionId' | 'number'>): Promise<void> {
    const sessionId = nameBasedUuid(`runner/session/${run.runId}/${run.sessions + 1}`);
    try {
      await this.onRun({ type: 'OpenSession', data: { sessionId, ...session, now: this.now() } }, `open/${run.sessions + 1}`);
    } catch (error) {
      // A pause or a stop landed between reading the run and opening the session: not a failure. The
      // feature's task goes back, and the loop reads the run again.
      if (!isAutocoderError(error, 'INVALID_TRANSITION') || (await this.run()).status === 'running') throw error;
      if (session.taskId && session.fencingToken !== null) {
        await this.deps.tasks.release(session.taskId, session.fencingToken, 'the run was paused or stopped before the session opened', `${sessionId}/not-opened`).catch(() => undefined);
      }
    }
  }

  private async driveSession(run: ExistingRun, open: OpenSession): Promise<void> {
    const project = await this.project(run.projectId);
    const deps = this.deps;
    const initializer = open.kind === 'initializer';
    const model = initializer ? deps.initializerModel : run.model;
    const stream = sessionStreamName(open.sessionId);
    const sessionContext = (label: string): CommandContext => ({ ...this.context(label), commandId: nameBasedUuid(`runner/${label}`) });
    const loaded = await deps.sessions.load(stream);
    if (!loaded.state.exists) {
      const prompt = initializer ? initializerFirstMessage(project.name, project.spec) : codingFirstMessage(project.name, project.features.find((f) => f.featureId === open.featureId)?.name ?? 'unknown', open.number);
      await deps.sessions.handle(
        stream,
        {
          type: 'StartSession',
          data: {
            projectId: run.projectId,
            runId: run.runId,
            sessionId: open.sessionId,
            featureId: open.featureId,
            taskId: open.taskId,
            kind: open.kind,
            model,
            maxTurns: run.limits.maxTurnsPerSession,
            prompt,
            now: this.now(),
          },
        },
        sessionContext(`session/${open.sessionId}/start`),
      );
    }

    const abort = new AbortController();
    const onHalt = () => abort.abort();
    this.stopping.signal.addEventListener('abort', onHalt);
    const watch = setInterval(() => {
      void this.run().then((r) => r.status === 'stopped' && abort.abort(), () => undefined);
    }, this.deps.pollMs ?? 250);
    const lease = open.taskId && open.fencingToken !== null ? this.keepLease(open.taskId, open.fencingToken, abort) : null;
    const halting = this.stopping.signal;
    const controls: RunControls = {
      signal: abort.signal,
      get halting() {
        return halting.aborted;
      },
      status: async () => (await this.run()).status,
      waitWhilePaused: async () => {
        for (;;) {
          const r = await this.run();
          if (r.status === 'running') return true;
          if (isRunEnded(r.status) || abort.signal.aborted) return false;
          await sleep(this.deps.pollMs ?? 250, abort.signal);
        }
      },
      pause: async (reason) => {
        try {
          await this.onRun({ type: 'PauseRun', data: { reason, by: 'system:runner', now: this.now() } }, `pause/${open.sessionId}/${Date.now()}`);
        } catch (error) {
          // The run ended meanwhile: the session's next step sees it and ends.
          if (!isAutocoderError(error, 'INVALID_TRANSITION')) throw error;
        }
      },
    };

    let end: SessionEnd;
    try {
      await lease?.checked;
      const workspace = await deps.openWorkspace(project);
      const host = this.featureHost(run, open, () => deps.sessions.load(stream).then((l) => l.state as ExistingSession));
      const executor = new ToolExecutor(workspace, host, initializer ? initializerToolNames : codingToolNames);
      const driver = new SessionDriver(deps.sessions, deps.model, executor, deps.budget, controls, sessionContext, deps.logger);
      const allowance = run.limits.maxTokens > 0 ? run.limits.maxTokens - run.tokens : Infinity;
      end = await driver.drive({
        sessionId: open.sessionId,
        system: initializer ? INITIALIZER_SYSTEM_PROMPT : CODING_SYSTEM_PROMPT,
        tools: initializer ? initializerTools : codingTools,
        maxOutputTokens: deps.settings.maxOutputTokens,
        tokenAllowance: allowance,
      });
    } catch (error) {
      if (error instanceof DriverHalted) return; // the next driver continues the session from its events
      throw error;
    } finally {
      clearInterval(watch);
      lease?.stop();
      this.stopping.signal.removeEventListener('abort', onHalt);
    }
    if (lease?.lost()) end = { ...end, outcome: 'lease_lost', reason: 'the lease on the feature task was lost' };
    await this.finishFeatureTask(run, open, end);
    const closed = await this.onRun({ type: 'CloseSession', data: { sessionId: open.sessionId, outcome: end.outcome, tokens: end.tokens, now: this.now() } }, `close/${open.sessionId}`);
    if (end.outcome === 'failed' && FATAL_MODEL_CODES.some((code) => end.reason?.startsWith(code)) && !isRunEnded(closed.status)) {
      const [code, ...rest] = (end.reason ?? '').split(': ');
      await this.onRun({ type: 'FailRun', data: { code, message: rest.join(': '), now: this.now() } }, 'fail');
    }
  }

  /** Renews the feature task's lease while the session works; a lost lease stops the session. */
  private keepLease(taskId: string, fencingToken: number, abort: AbortController) {
    let lost = false;
    const every = Math.max(1000, (this.deps.settings.featureLeaseSec * 1000) / 3);
    const beat = () =>
      this.deps.tasks.heartbeat(taskId, fencingToken).then(
        () => undefined,
        (error) => {
          if (isAutocoderError(error, 'LEASE_NOT_HELD') || isAutocoderError(error, 'LEASE_EXPIRED')) {
            lost = true;
            abort.abort();
          } else this.deps.logger.warn({ err: error, taskId }, 'lease heartbeat failed; trying again');
        },
      );
    // Once at the start too: a session taken over after a crash must not go on under a lease that ran out meanwhile.
    const checked = beat();
    const timer = setInterval(() => void beat(), every);
    return { checked, stop: () => clearInterval(timer), lost: () => lost };
  }

  /** A passing (or skipped) feature's task is done; otherwise it goes back to ready for another session. */
  private async finishFeatureTask(run: ExistingRun, open: OpenSession, end: SessionEnd): Promise<void> {
    if (!open.featureId || !open.taskId || open.fencingToken === null) return;
    const project = await this.project(run.projectId);
    const feature = project.features.find((f) => f.featureId === open.featureId)!;
    const step = open.sessionId;
    try {
      if (feature.status === 'in_progress' || feature.status === 'pending') {
        await this.changeFeature(run, open, 'failing', `the session ended (${end.outcome}${end.reason ? `: ${end.reason}` : ''}) without marking the feature passing`, null);
      }
      if (end.outcome === 'lease_lost') return;
      if (isFinished({ ...feature, status: (await this.project(run.projectId)).features.find((f) => f.featureId === feature.featureId)!.status })) {
        await this.closeTask(open.taskId, open.fencingToken, step);
      } else {
        await this.deps.tasks.release(open.taskId, open.fencingToken, `session ${open.sessionId} ended ${end.outcome}`, step);
      }
    } catch (error) {
      // The lease ran out meanwhile: the coordinator gives the task back by itself.
      this.deps.logger.warn({ err: error, taskId: open.taskId }, 'could not finish the feature task');
    }
  }

  /** A finished feature's task goes to done, through the pipeline's steps. */
  private async closeTask(taskId: string, fencingToken: number, step: string): Promise<void> {
    await this.deps.tasks.setStatus(taskId, fencingToken, 'in_progress', step);
    await this.deps.tasks.setStatus(taskId, fencingToken, 'review', step);
    await this.deps.tasks.setStatus(taskId, fencingToken, 'done', step);
  }

  private async changeFeature(run: ExistingRun, open: OpenSession, to: FeatureStatus, reason: string | null, evidence: FeatureEvidence | null, label = `${to}/${Date.now()}`) {
    await this.deps.projects.handle(
      projectStreamName(run.projectId),
      { type: 'ChangeFeatureStatus', data: { featureId: open.featureId!, to, reason, evidence, yolo: run.yolo && to === 'passing', runId: run.runId, sessionId: open.sessionId, now: this.now() } },
      { ...this.context(`feature/${open.sessionId}/${label}`) },
    );
  }

  private featureHost(run: ExistingRun, open: OpenSession, session: () => Promise<ExistingSession>): FeatureToolHost {
    const project = () => this.project(run.projectId);
    return {
      kind: open.kind,
      featureId: open.featureId,
      yolo: run.yolo,
      stats: async () => featureCountsOf(await project()),
      feature: async (featureId) => {
        const p = await project();
        const f = p.features.find((x) => x.featureId === featureId);
        if (!f) return null;
        const names = new Map(p.features.map((x) => [x.featureId, x.name]));
        return { id: f.featureId, category: f.category, name: f.name, description: f.description, steps: f.steps, status: f.status, depends_on: f.dependsOn.map((d) => names.get(d) ?? d) };
      },
      gateEvidence: async () => gateEvidence(await session()),
      changeStatus: async (featureId, to, reason, evidence) => {
        await this.changeFeature(run, { ...open, featureId }, to, reason, evidence);
      },
      defineFeatures: async (features: FeatureDraft[]) => {
        const handled = await this.deps.projects.handle(
          projectStreamName(run.projectId),
          { type: 'DefineFeatures', data: { features, source: 'initializer', sessionId: open.sessionId, now: this.now() } },
          this.context(`define/${open.sessionId}/${Date.now()}`),
        );
        const defined = handled.events.flatMap((e) => (e.type === 'FeaturesDefined' ? e.data.features.map((f) => f.featureId) : []));
        return defined;
      },
    };
  }
}
