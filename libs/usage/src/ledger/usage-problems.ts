import type { ModelUsage } from '@autocoder/contracts';

const BUCKETS: readonly (keyof ModelUsage)[] = ['input', 'output', 'cacheWrite5m', 'cacheWrite1h', 'cacheRead'];

/**
 * What is wrong with a model call's token counts as an event carries them (events written by another
 * version, or by hand, may be malformed): one message per bad field, naming it. Empty when all five
 * buckets are whole numbers of 0 or more.
 */
export function usageProblems(usage: unknown): string[] {
  if (typeof usage !== 'object' || usage === null) return [`usage is missing: expected the token counts ${BUCKETS.join(', ')}`];
  const record = usage as Record<string, unknown>;
  const problems: string[] = [];
  for (const bucket of BUCKETS) {
    const value = record[bucket];
    if (value === undefined || value === null) problems.push(`usage.${bucket} is missing: expected a whole number of tokens`);
    else if (typeof value !== 'number' || !Number.isSafeInteger(value)) problems.push(`usage.${bucket} is ${JSON.stringify(value)}: expected a whole number of tokens`);
    else if (value < 0) problems.push(`usage.${bucket} is ${value}: expected 0 or more tokens`);
  }
  return problems;
}
