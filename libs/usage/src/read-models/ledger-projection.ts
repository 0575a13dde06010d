import type { CallNotPriced, CallPriced, CallRecosted, UsageSessionEvent, UsageUpdated } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import type { EntityManager } from 'typeorm';
import { RollupDimensions, rollupKeysOf, type RollupKey } from './rollup-keys';
import { totalsOfRow, type RollupRow } from './usage-rows';

/** A ledger line as the projection holds it while it applies a batch. */
export interface LineRecord {
  callId: string;
  calledAt: string;
  projectId: string;
  runId: string;
  sessionId: string;
  featureId: string | null;
  taskId: string | null;
  turn: number;
  model: string;
  match: string;
  unknownModel: boolean;
  longContext: boolean;
  priceVersion: number;
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  costPico: bigint;
  position: number;
}

interface Delta extends RollupKey {
  calls: number;
  unknownModelCalls: number;
  input: number;
  output: number;
  cacheWrite5m: number;
  cacheWrite1h: number;
  cacheRead: number;
  costPico: bigint;
}

class LedgerBatch {
  readonly lines = new Map<string, LineRecord>();
  readonly newLines = new Set<string>();
  readonly recosted = new Set<string>();
  readonly deltas = new Map<string, Delta>();
  readonly unpriced: CallNotPriced['data'][] = [];
  /** The last call of each project in the batch, for its notification. */
  readonly lastCall = new Map<string, { callId: string; calledAt: string }>();

  add(line: LineRecord, change: Omit<Delta, keyof RollupKey>) {
    const keys = rollupKeysOf(line);
    for (const dimension of RollupDimensions) {
      const k = keys[dimension];
      const id = `${dimension}|${k.key}`;
      const d = this.deltas.get(id) ?? { ...k, calls: 0, unknownModelCalls: 0, input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, costPico: 0n };
      d.calls += change.calls;
      d.unknownModelCalls += change.unknownModelCalls;
      d.input += change.input;
      d.output += change.output;
      d.cacheWrite5m += change.cacheWrite5m;
      d.cacheWrite1h += change.cacheWrite1h;
      d.cacheRead += change.cacheRead;
      d.costPico += change.costPico;
      this.deltas.set(id, d);
    }
    const last = this.lastCall.get(line.projectId);
    if (!last || last.calledAt <= line.calledAt) this.lastCall.set(line.projectId, { callId: line.callId, calledAt: line.calledAt });
  }
}

export const lineOfPriced = (e: Recorded<CallPriced>): LineRecord => ({
  callId: e.data.callId,
  calledAt: new Date(e.data.calledAt).toISOString(),
  projectId: e.data.projectId,
  runId: e.data.runId,
  sessionId: e.data.sessionId,
  featureId: e.data.featureId,
  taskId: e.data.taskId,
  turn: e.data.turn,
  model: e.data.model,
  match: e.data.match,
  unknownModel: e.data.unknownModel,
  longContext: e.data.longContext,
  priceVersion: e.data.priceVersion,
  ...e.data.usage,
  costPico: BigInt(e.data.costs.total),
  position: e.position,
});

export const ledgerHandlers: EventHandlers<UsageSessionEvent, LedgerBatch> = {
  CallPriced: (event, batch) => {
    // The session's ledger prices a call once; a line already here means the event was applied.
    if (batch.lines.has(event.data.callId)) return;
    const line = lineOfPriced(event);
    batch.lines.set(line.callId, line);
    batch.newLines.add(line.callId);
    batch.add(line, { calls: 1, unknownModelCalls: line.unknownModel ? 1 : 0, input: line.input, output: line.output, cacheWrite5m: line.cacheWrite5m, cacheWrite1h: line.cacheWrite1h, cacheRead: line.cacheRead, costPico: line.costPico });
  },
  CallRecosted: ({ data }: Recorded<CallRecosted>, batch) => {
    const line = batch.lines.get(data.callId);
    if (!line) return;
    const costPico = BigInt(data.costs.total);
    const unknownChange = (data.unknownModel ? 1 : 0) - (line.unknownModel ? 1 : 0);
    batch.add(line, { calls: 0, unknownModelCalls: unknownChange, input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0, costPico: costPico - line.costPico });
    Object.assign(line, { costPico, priceVersion: data.toVersion, match: data.match, unknownModel: data.unknownModel, longContext: data.longContext });
    if (!batch.newLines.has(line.callId)) batch.recosted.add(line.callId);
  },
  CallNotPriced: ({ data }, batch) => {
    batch.unpriced.push(data);
  },
};

/**
 * The ledger and its rollups, in one projection so a recost (which names only the call) finds the
 * call's attribution in the ledger line and moves every rollup by the difference, in the same
 * transaction. Each committed batch reports the new totals of the projects it changed.
 */
export class LedgerProjection extends HandlerProjection<UsageSessionEvent, LedgerBatch, UsageUpdated> {
  readonly name = 'usage.ledger';
  readonly tables: string[];
  protected readonly handlers = ledgerHandlers;

  constructor(private readonly schema: string) {
    super();
    this.tables = [`${schema}.ledger_lines`, `${schema}.rollups`, `${schema}.unpriced_calls`];
  }

  protected async begin(events: Recorded<UsageSessionEvent>[], tx: EntityManager): Promise<LedgerBatch> {
    const batch = new LedgerBatch();
    const ids = [...new Set(events.filter((e) => e.type !== 'CallNotPriced').map((e) => (e.data as { callId: string }).callId))];
    if (ids.length) {
      const rows: LineRow[] = await tx.query(`SELECT * FROM ${this.schema}.ledger_lines WHERE call_id = ANY($1::uuid[])`, [ids]);
      for (const row of rows) batch.lines.set(row.call_id, lineOfRow(row));
    }
    return batch;
  }

  protected async finish(batch: LedgerBatch, tx: EntityManager): Promise<UsageUpdated[]> {
    const s = this.schema;
    const json = (rows: unknown[]) => JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const fresh = [...batch.newLines].map((id) => batch.lines.get(id)!);
    if (fresh.length) {
      await tx.query(
        `INSERT INTO ${s}.ledger_lines
           SELECT "callId", "calledAt", "projectId", "runId", "sessionId", "featureId", "taskId", turn, model, match, "unknownModel",
                  "longContext", "priceVersion", input, output, "cacheWrite5m", "cacheWrite1h", "cacheRead", "costPico", position
             FROM jsonb_to_recordset($1::jsonb) AS x("callId" uuid, "calledAt" timestamptz, "projectId" uuid, "runId" uuid, "sessionId" uuid,
                  "featureId" text, "taskId" uuid, turn integer, model text, match text, "unknownModel" boolean, "longContext" boolean,
                  "priceVersion" integer, input bigint, output bigint, "cacheWrite5m" bigint, "cacheWrite1h" bigint, "cacheRead" bigint,
                  "costPico" numeric, position bigint)
         ON CONFLICT (call_id) DO NOTHING`,
        [json(fresh)],
      );
    }
    const recosted = [...batch.recosted].map((id) => batch.lines.get(id)!);
    if (recosted.length) {
      await tx.query(
        `UPDATE ${s}.ledger_lines l SET cost_pico = x."costPico", price_version = x."priceVersion", match = x.match,
                unknown_model = x."unknownModel", long_context = x."longContext"
           FROM jsonb_to_recordset($1::jsonb) AS x("callId" uuid, "costPico" numeric, "priceVersion" integer, match text, "unknownModel" boolean, "longContext" boolean)
          WHERE l.call_id = x."callId"`,
        [json(recosted)],
      );
    }
    const deltas = [...batch.deltas.values()];
    if (deltas.length) {
      await tx.query(
        `INSERT INTO ${s}.rollups (dimension, key, project_id, label, calls, unknown_model_calls, input, output, cache_write_5m, cache_write_1h, cache_read, cost_pico)
           SELECT dimension, key, "projectId", label, calls, "unknownModelCalls", input, output, "cacheWrite5m", "cacheWrite1h", "cacheRead", "costPico"
             FROM jsonb_to_recordset($1::jsonb) AS x(dimension text, key text, "projectId" uuid, label text, calls integer, "unknownModelCalls" integer,
                  input bigint, output bigint, "cacheWrite5m" bigint, "cacheWrite1h" bigint, "cacheRead" bigint, "costPico" numeric)
         ON CONFLICT (dimension, key) DO UPDATE SET
           calls = rollups.calls + EXCLUDED.calls,
           unknown_model_calls = rollups.unknown_model_calls + EXCLUDED.unknown_model_calls,
           input = rollups.input + EXCLUDED.input,
           output = rollups.output + EXCLUDED.output,
           cache_write_5m = rollups.cache_write_5m + EXCLUDED.cache_write_5m,
           cache_write_1h = rollups.cache_write_1h + EXCLUDED.cache_write_1h,
           cache_read = rollups.cache_read + EXCLUDED.cache_read,
           cost_pico = rollups.cost_pico + EXCLUDED.cost_pico`,
        [json(deltas)],
      );
    }
    if (batch.unpriced.length) {
      await tx.query(
        `INSERT INTO ${s}.unpriced_calls SELECT "callId", "projectId", "sessionId", model, problems, "recordedAt"
           FROM jsonb_to_recordset($1::jsonb) AS x("callId" uuid, "projectId" uuid, "sessionId" uuid, model text, problems jsonb, "recordedAt" timestamptz)
         ON CONFLICT (call_id) DO NOTHING`,
        [json(batch.unpriced)],
      );
    }
    const projects = [...batch.lastCall.keys()];
    if (!projects.length) return [];
    const rows: RollupRow[] = await tx.query(`SELECT * FROM ${s}.rollups WHERE dimension = 'project' AND key = ANY($1::text[])`, [projects]);
    return rows.map((row) => ({ projectId: row.key, totals: totalsOfRow(row), ...batch.lastCall.get(row.key)! }));
  }
}

interface LineRow {
  call_id: string;
  called_at: Date;
  project_id: string;
  run_id: string;
  session_id: string;
  feature_id: string | null;
  task_id: string | null;
  turn: number;
  model: string;
  match: string;
  unknown_model: boolean;
  long_context: boolean;
  price_version: number;
  input: string;
  output: string;
  cache_write_5m: string;
  cache_write_1h: string;
  cache_read: string;
  cost_pico: string;
  position: string;
}

export const lineOfRow = (row: LineRow): LineRecord => ({
  callId: row.call_id,
  calledAt: new Date(row.called_at).toISOString(),
  projectId: row.project_id,
  runId: row.run_id,
  sessionId: row.session_id,
  featureId: row.feature_id,
  taskId: row.task_id,
  turn: row.turn,
  model: row.model,
  match: row.match,
  unknownModel: row.unknown_model,
  longContext: row.long_context,
  priceVersion: row.price_version,
  input: Number(row.input),
  output: Number(row.output),
  cacheWrite5m: Number(row.cache_write_5m),
  cacheWrite1h: Number(row.cache_write_1h),
  cacheRead: Number(row.cache_read),
  costPico: BigInt(row.cost_pico),
  position: Number(row.position),
});

export type { LineRow };
