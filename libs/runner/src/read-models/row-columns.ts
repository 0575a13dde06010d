import type { ModelUsage } from '@autocoder/contracts';
import type { ValueTransformer } from 'typeorm';

/** A bigint column as a JS number: token sums and store positions stay far below 2^53. */
export const bigintAsNumber: ValueTransformer = {
  to: (value: number | null | undefined) => value,
  from: (value: string | null) => (value === null ? null : Number(value)),
};

export const isoOf = (date: Date): string => date.toISOString();
export const isoOrNull = (date: Date | null): string | null => (date ? date.toISOString() : null);
export const dateOf = (iso: string): Date => new Date(iso);
export const dateOrNull = (iso: string | null): Date | null => (iso === null ? null : new Date(iso));

/** The five usage buckets, one column each so they can be summed in SQL. */
export interface UsageColumns {
  usageInput: number;
  usageOutput: number;
  usageCacheWrite5m: number;
  usageCacheWrite1h: number;
  usageCacheRead: number;
}

export const usageOfColumns = (row: UsageColumns): ModelUsage => ({
  input: row.usageInput,
  output: row.usageOutput,
  cacheWrite5m: row.usageCacheWrite5m,
  cacheWrite1h: row.usageCacheWrite1h,
  cacheRead: row.usageCacheRead,
});

export const columnsOfUsage = (usage: ModelUsage): UsageColumns => ({
  usageInput: usage.input,
  usageOutput: usage.output,
  usageCacheWrite5m: usage.cacheWrite5m,
  usageCacheWrite1h: usage.cacheWrite1h,
  usageCacheRead: usage.cacheRead,
});
