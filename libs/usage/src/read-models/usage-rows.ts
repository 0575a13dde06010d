import type { UsageBreakdownRow, UsageTotals } from '@autocoder/contracts';
import { picoToUsd } from '../money';

/** A rollup row as Postgres returns it (bigint and numeric come back as strings). */
export interface RollupRow {
  dimension: string;
  key: string;
  project_id: string | null;
  label: string | null;
  calls: number;
  unknown_model_calls: number;
  input: string;
  output: string;
  cache_write_5m: string;
  cache_write_1h: string;
  cache_read: string;
  cost_pico: string;
}

export const totalsOfRow = (row: Omit<RollupRow, 'dimension' | 'key' | 'project_id' | 'label'>): UsageTotals => ({
  calls: Number(row.calls),
  usage: {
    input: Number(row.input),
    output: Number(row.output),
    cacheWrite5m: Number(row.cache_write_5m),
    cacheWrite1h: Number(row.cache_write_1h),
    cacheRead: Number(row.cache_read),
  },
  // numeric(40,0) arrives as its exact decimal text; "123.000" never appears for a scale-0 column.
  costUsd: picoToUsd(BigInt(row.cost_pico)),
  unknownModelCalls: Number(row.unknown_model_calls),
});

export const breakdownOfRow = (row: RollupRow, key = row.key): UsageBreakdownRow => ({ key, label: row.label, ...totalsOfRow(row) });

export const emptyTotals = (): UsageTotals => ({
  calls: 0,
  usage: { input: 0, output: 0, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
  costUsd: '0',
  unknownModelCalls: 0,
});
