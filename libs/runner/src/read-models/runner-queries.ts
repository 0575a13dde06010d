import {
  AutocoderError,
  ErrorCodes,
  ListRunsInput,
  ProjectIdInput,
  RunIdInput,
  RunLogsInput,
  RunTimelineInput,
  SessionIdInput,
  parseInput,
  type FeatureView,
  type ProjectView,
  type RunLogLine,
  type RunTimelinePage,
  type RunView,
  type SessionView,
} from '@autocoder/contracts';
import { In, MoreThan, MoreThanOrEqual, type DataSource, type FindOptionsWhere } from 'typeorm';
import type { z } from 'zod';
import { featureCountsOf } from './feature-counts';
import { FeatureRow } from './feature-row.entity';
import { featureViewOfRow } from './features-projection';
import { ProjectRow } from './project-row.entity';
import { projectRecordOfRow } from './projects-projection';
import { levelsFrom, logLineOfRow } from './run-log-lines';
import { RunRow } from './run-row.entity';
import { runRecordOfRow } from './runs-projection';
import { SessionRow } from './session-row.entity';
import { sessionRecordOfRow, type SessionRecord } from './sessions-projection';
import { timelineEntryOfRow } from './timeline-projection';
import { TimelineRow, TimelineRunRow, TimelineSessionRow } from './timeline-row.entity';

/** Log lines read per query while a session's log is exported. */
const EXPORT_PAGE = 1000;

const notFound = (what: string, id: string, hint: string) => new AutocoderError(ErrorCodes.NotFound, `no ${what} with id ${id}: ${hint}`);

/**
 * The runner's reads, from its read models. Inputs that come from outside are validated with the
 * contracts' schemas (a malformed id is a VALIDATION_FAILED naming the field, an unknown one a
 * NOT_FOUND naming the id). Feature counts are read from the features read model at query time.
 */
export class RunnerQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  async listProjects(): Promise<ProjectView[]> {
    const rows = await this.dataSource.getRepository(ProjectRow).find({ order: { registeredAt: 'ASC', projectId: 'ASC' } });
    return this.projectViews(rows);
  }

  async getProject(projectId: string): Promise<ProjectView> {
    const input = parseInput(ProjectIdInput, { projectId }, 'project id');
    const row = await this.dataSource.getRepository(ProjectRow).findOneBy({ projectId: input.projectId });
    if (!row) throw notFound('project', input.projectId, 'expected the id of a registered project (listProjects shows them)');
    return (await this.projectViews([row]))[0];
  }

  /** A project's features in definition order. */
  async listFeatures(projectId: string): Promise<FeatureView[]> {
    const input = parseInput(ProjectIdInput, { projectId }, 'project id');
    const rows = await this.dataSource.getRepository(FeatureRow).find({ where: { projectId: input.projectId }, order: { index: 'ASC', featureId: 'ASC' } });
    if (rows.length === 0 && !(await this.dataSource.getRepository(ProjectRow).existsBy({ projectId: input.projectId }))) {
      throw notFound('project', input.projectId, 'expected the id of a registered project (listProjects shows them)');
    }
    return rows.map(featureViewOfRow);
  }

  /** Runs, the latest started first; of one project if given. */
  async listRuns(input: z.input<typeof ListRunsInput> = {}): Promise<RunView[]> {
    const { projectId } = parseInput(ListRunsInput, input, 'run list query');
    const rows = await this.dataSource.getRepository(RunRow).find({ where: projectId ? { projectId } : {}, order: { startedAt: 'DESC', runId: 'ASC' } });
    return this.runViews(rows);
  }

  async getRun(runId: string): Promise<RunView> {
    const input = parseInput(RunIdInput, { runId }, 'run id');
    const row = await this.dataSource.getRepository(RunRow).findOneBy({ runId: input.runId });
    if (!row) throw notFound('run', input.runId, 'expected the id of a started run (listRuns shows them)');
    const [run] = await this.runViews([row]);
    return run;
  }

  /** A run's sessions in the order it opened them. */
  async listSessions(runId: string): Promise<SessionView[]> {
    const input = parseInput(RunIdInput, { runId }, 'run id');
    const row = await this.dataSource.getRepository(RunRow).findOneBy({ runId: input.runId });
    if (!row) throw notFound('run', input.runId, 'expected the id of a started run (listRuns shows them)');
    return this.sessionViews(input.runId, runRecordOfRow(row));
  }

  /**
   * Entries after `after`, oldest first: of a run, of a session, or (neither given) of every run. An
   * unknown id gives an empty page, not an error, so a stream opened the moment a run starts waits
   * for its first entries. `finished` is read before the entries: when it is true, the run's last
   * entry is in this page or an earlier one. For a session it is true once the session ended.
   */
  async timeline(query: z.input<typeof RunTimelineInput>): Promise<RunTimelinePage> {
    const input = parseInput(RunTimelineInput, query, 'timeline query');
    const finished = await this.finished(input.runId, input.sessionId);
    const where: FindOptionsWhere<TimelineRow> = { seq: MoreThan(input.after) };
    if (input.runId) where.runId = input.runId;
    if (input.sessionId) where.sessionId = input.sessionId;
    const rows = await this.dataSource.getRepository(TimelineRow).find({ where, order: { seq: 'ASC' }, take: input.limit });
    return { entries: rows.map(timelineEntryOfRow), finished };
  }

  /** A run's log lines (derived from its timeline) at `level` and above, oldest first, from `since`. */
  async logs(query: z.input<typeof RunLogsInput>): Promise<RunLogLine[]> {
    const input = parseInput(RunLogsInput, query, 'log query');
    if (!(await this.dataSource.getRepository(RunRow).existsBy({ runId: input.runId }))) {
      throw notFound('run', input.runId, 'expected the id of a started run (listRuns shows them)');
    }
    const where: FindOptionsWhere<TimelineRow> = { runId: input.runId };
    if (input.sessionId) where.sessionId = input.sessionId;
    if (input.level) where.level = In(levelsFrom(input.level));
    if (input.since) where.at = MoreThanOrEqual(new Date(input.since));
    const rows = await this.dataSource.getRepository(TimelineRow).find({ where, order: { seq: 'ASC' }, take: input.limit });
    return rows.map(logLineOfRow);
  }

  /**
   * Every log line of one session as NDJSON (one JSON object and a newline per line), read page by
   * page so a long session is never held whole; `Readable.from()` streams it as a response.
   */
  async *sessionLogNdjson(sessionId: string): AsyncGenerator<string> {
    const input = parseInput(SessionIdInput, { sessionId }, 'session id');
    const known =
      (await this.dataSource.getRepository(SessionRow).existsBy({ sessionId: input.sessionId })) ||
      (await this.dataSource.getRepository(TimelineSessionRow).existsBy({ sessionId: input.sessionId }));
    if (!known) throw notFound('session', input.sessionId, 'expected the id of a session a run opened (listSessions shows them)');
    for (let after = 0; ; ) {
      const rows = await this.dataSource
        .getRepository(TimelineRow)
        .find({ where: { sessionId: input.sessionId, seq: MoreThan(after) }, order: { seq: 'ASC' }, take: EXPORT_PAGE });
      for (const row of rows) yield `${JSON.stringify(logLineOfRow(row))}\n`;
      if (rows.length < EXPORT_PAGE) return;
      after = rows[rows.length - 1].seq;
    }
  }

  private async finished(runId: string | undefined, sessionId: string | undefined): Promise<boolean> {
    let run = runId;
    if (sessionId) {
      const session = await this.dataSource.getRepository(TimelineSessionRow).findOneBy({ sessionId });
      if (!session) return false;
      if (session.endedAt) return true;
      run ??= session.runId;
    }
    if (!run) return false;
    const row = await this.dataSource.getRepository(TimelineRunRow).findOneBy({ runId: run });
    return row?.endedAt != null;
  }

  private async projectViews(rows: ProjectRow[]): Promise<ProjectView[]> {
    const counts = await featureCountsOf(this.dataSource, this.schema, rows.map((r) => r.projectId));
    return rows.map((row) => ({ ...projectRecordOfRow(row), featureCounts: counts.get(row.projectId)! }));
  }

  private async runViews(rows: RunRow[]): Promise<RunView[]> {
    const counts = await featureCountsOf(this.dataSource, this.schema, [...new Set(rows.map((r) => r.projectId))]);
    return rows.map((row) => ({ ...runRecordOfRow(row), featureCounts: counts.get(row.projectId)! }));
  }

  /** A session that has not started yet shows its run's project and model. */
  private async sessionViews(runId: string, run: { projectId: string; model: string }): Promise<SessionView[]> {
    const rows = await this.dataSource.getRepository(SessionRow).find({ where: { runId }, order: { number: 'ASC', startedAt: 'ASC' } });
    return rows.map(sessionRecordOfRow).map((s: SessionRecord) => ({ ...s, projectId: s.projectId ?? run.projectId, model: s.model ?? run.model }));
  }
}
