import type {
  LedgerLine,
  PriceMatch,
  ProjectUsageView,
  UsageBreakdownRow,
  UsageEstimate,
  UsageSeriesPoint,
  UsageTotals,
} from '@autocoder/contracts';
import type { DataSource } from 'typeorm';
import { picoToUsd } from '../money';
import { estimateRemaining, type FeatureSample } from '../estimates/estimate';
import { lineOfRow, type LineRow } from './ledger-projection';
import { breakdownOfRow, emptyTotals, totalsOfRow, type RollupRow } from './usage-rows';

export interface TimeWindow {
  from?: string;
  to?: string;
}

const SUMS = `count(*)::int AS calls, count(*) FILTER (WHERE unknown_model)::int AS unknown_model_calls,
  coalesce(sum(input), 0)::text AS input, coalesce(sum(output), 0)::text AS output,
  coalesce(sum(cache_write_5m), 0)::text AS cache_write_5m, coalesce(sum(cache_write_1h), 0)::text AS cache_write_1h,
  coalesce(sum(cache_read), 0)::text AS cache_read, coalesce(sum(cost_pico), 0)::text AS cost_pico`;

/** Reads of the usage read models; every amount is summed exactly in Postgres numeric. */
export class UsageQueries {
  constructor(
    private readonly dataSource: DataSource,
    private readonly schema: string,
  ) {}

  private query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.dataSource.query(sql, params);
  }

  /**
   * A project's totals and breakdowns from the rollups; with a time window, from the ledger lines of
   * that window instead (the rollups are not per window).
   */
  async projectUsage(projectId: string, window: TimeWindow = {}): Promise<ProjectUsageView> {
    const s = this.schema;
    const versions = await this.query<{ price_version: number }>(
      `SELECT DISTINCT price_version FROM ${s}.ledger_lines WHERE project_id = $1 ORDER BY price_version`,
      [projectId],
    );
    if (window.from || window.to) return { ...(await this.projectUsageInWindow(projectId, window)), priceVersions: versions.map((v) => v.price_version) };
    const rows = await this.query<RollupRow>(`SELECT * FROM ${s}.rollups WHERE project_id = $1 ORDER BY dimension, key`, [projectId]);
    const of = (dimension: string, key: (r: RollupRow) => string) => rows.filter((r) => r.dimension === dimension).map((r) => breakdownOfRow(r, key(r)));
    const afterProject = (r: RollupRow) => r.key.slice(projectId.length + 1);
    const project = rows.find((r) => r.dimension === 'project');
    return {
      projectId,
      totals: project ? totalsOfRow(project) : emptyTotals(),
      byFeature: await this.withFeatureNames(projectId, of('feature', afterProject)),
      bySession: of('session', (r) => r.key),
      byRun: of('run', (r) => r.key),
      byModel: of('model', afterProject),
      byDay: of('day', afterProject),
      priceVersions: versions.map((v) => v.price_version),
    };
  }

  private async projectUsageInWindow(projectId: string, window: TimeWindow): Promise<Omit<ProjectUsageView, 'priceVersions'>> {
    const s = this.schema;
    const where = `project_id = $1 AND called_at >= coalesce($2::timestamptz, '-infinity') AND called_at < coalesce($3::timestamptz, 'infinity')`;
    const params = [projectId, window.from ?? null, window.to ?? null];
    const by = async (expression: string, label: string) =>
      (
        await this.query<RollupRow>(
          `SELECT ${expression} AS key, ${label} AS label, ${SUMS} FROM ${s}.ledger_lines WHERE ${where} GROUP BY 1, 2 ORDER BY 1`,
          params,
        )
      ).map((r) => breakdownOfRow(r));
    const [totals] = await this.query<RollupRow>(`SELECT ${SUMS} FROM ${s}.ledger_lines WHERE ${where}`, params);
    return {
      projectId,
      totals: totalsOfRow(totals),
      byFeature: await this.withFeatureNames(projectId, await by(`coalesce(feature_id, '')`, 'feature_id')),
      bySession: await by('session_id::text', 'NULL::text'),
      byRun: await by('run_id::text', 'NULL::text'),
      byModel: await by('model', 'model'),
      byDay: await by(`to_char(called_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, `to_char(called_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`),
    };
  }

  /** A feature's label is its name where the usage service has seen it defined. */
  private async withFeatureNames(projectId: string, rows: UsageBreakdownRow[]): Promise<UsageBreakdownRow[]> {
    const names = new Map(
      (await this.query<{ feature_id: string; name: string }>(`SELECT feature_id, name FROM ${this.schema}.features WHERE project_id = $1`, [projectId])).map(
        (r) => [r.feature_id, r.name],
      ),
    );
    return rows.map((r) => ({ ...r, label: r.key === '' ? null : (names.get(r.key) ?? r.label) }));
  }

  /** Every project's totals, most expensive first. */
  async allUsage(): Promise<(UsageTotals & { projectId: string })[]> {
    const rows = await this.query<RollupRow>(`SELECT * FROM ${this.schema}.rollups WHERE dimension = 'project' ORDER BY cost_pico DESC, key`);
    return rows.map((r) => ({ projectId: r.key, ...totalsOfRow(r) }));
  }

  async runCost(runId: string): Promise<UsageTotals> {
    const [row] = await this.query<RollupRow>(`SELECT * FROM ${this.schema}.rollups WHERE dimension = 'run' AND key = $1`, [runId]);
    return row ? totalsOfRow(row) : emptyTotals();
  }

  /** The project's ledger, one call a line, in call order. */
  async ledger(projectId: string, window: TimeWindow = {}): Promise<LedgerLine[]> {
    const rows = await this.query<LineRow>(
      `SELECT * FROM ${this.schema}.ledger_lines
        WHERE project_id = $1 AND called_at >= coalesce($2::timestamptz, '-infinity') AND called_at < coalesce($3::timestamptz, 'infinity')
        ORDER BY called_at, position`,
      [projectId, window.from ?? null, window.to ?? null],
    );
    return rows.map((row) => {
      const l = lineOfRow(row);
      return {
        callId: l.callId,
        calledAt: l.calledAt,
        projectId: l.projectId,
        runId: l.runId,
        sessionId: l.sessionId,
        featureId: l.featureId,
        taskId: l.taskId,
        turn: l.turn,
        model: l.model,
        match: l.match as PriceMatch,
        unknownModel: l.unknownModel,
        longContext: l.longContext,
        priceVersion: l.priceVersion,
        usage: { input: l.input, output: l.output, cacheWrite5m: l.cacheWrite5m, cacheWrite1h: l.cacheWrite1h, cacheRead: l.cacheRead },
        costUsd: picoToUsd(l.costPico),
      };
    });
  }

  /** Totals per UTC hour or day, of one project or of all, from the hour and day rollups. */
  async series(options: { projectId?: string; bucket: 'hour' | 'day' } & TimeWindow): Promise<UsageSeriesPoint[]> {
    const rows = await this.query<RollupRow & { at: string }>(
      `SELECT label AS at, sum(calls)::int AS calls, sum(unknown_model_calls)::int AS unknown_model_calls,
              sum(input)::text AS input, sum(output)::text AS output, sum(cache_write_5m)::text AS cache_write_5m,
              sum(cache_write_1h)::text AS cache_write_1h, sum(cache_read)::text AS cache_read, sum(cost_pico)::text AS cost_pico
         FROM ${this.schema}.rollups
        WHERE dimension = $1 AND ($2::uuid IS NULL OR project_id = $2::uuid)
        GROUP BY label ORDER BY label`,
      [options.bucket, options.projectId ?? null],
    );
    const at = (label: string) => (options.bucket === 'day' ? `${label}T00:00:00.000Z` : label);
    return rows
      .map((r) => ({ at: at(r.at), ...totalsOfRow(r) }))
      .filter((p) => (!options.from || p.at >= new Date(options.from).toISOString()) && (!options.to || p.at < new Date(options.to).toISOString()));
  }

  /** The remaining features' estimate from the passing ones (see estimateRemaining). */
  async estimate(projectId: string): Promise<UsageEstimate> {
    const s = this.schema;
    const [{ remaining }] = await this.query<{ remaining: number }>(
      `SELECT count(*)::int AS remaining FROM ${s}.features WHERE project_id = $1 AND status NOT IN ('passing', 'skipped')`,
      [projectId],
    );
    const samples = await this.query<{ project_id: string; cost_pico: string; tokens: string; seconds: number }>(
      `SELECT f.project_id, sum(l.cost_pico)::text AS cost_pico,
              sum(l.input + l.output + l.cache_write_5m + l.cache_write_1h + l.cache_read)::text AS tokens,
              extract(epoch FROM max(l.called_at) - min(l.called_at))::float8 AS seconds
         FROM ${s}.features f JOIN ${s}.ledger_lines l ON l.project_id = f.project_id AND l.feature_id = f.feature_id
        WHERE f.status = 'passing'
        GROUP BY f.project_id, f.feature_id`,
    );
    const sample = (r: (typeof samples)[number]): FeatureSample => ({ costPico: BigInt(r.cost_pico), tokens: Number(r.tokens), seconds: Number(r.seconds) });
    return estimateRemaining(
      projectId,
      remaining,
      samples.filter((r) => r.project_id === projectId).map(sample),
      samples.map(sample),
    );
  }

  /** Calls priced with a version other than `current` (or exactly `fromVersion`), for the recost. */
  async callsToRecost(current: number, fromVersion?: number): Promise<{ callId: string; sessionId: string; projectId: string; model: string; calledAt: string; usage: LedgerLine['usage'] }[]> {
    const rows = await this.query<LineRow>(
      `SELECT * FROM ${this.schema}.ledger_lines WHERE ${fromVersion === undefined ? 'price_version <> $1' : 'price_version = $1'} ORDER BY position`,
      [fromVersion ?? current],
    );
    return rows.map((row) => {
      const l = lineOfRow(row);
      return {
        callId: l.callId,
        sessionId: l.sessionId,
        projectId: l.projectId,
        model: l.model,
        calledAt: l.calledAt,
        usage: { input: l.input, output: l.output, cacheWrite5m: l.cacheWrite5m, cacheWrite1h: l.cacheWrite1h, cacheRead: l.cacheRead },
      };
    });
  }
}
