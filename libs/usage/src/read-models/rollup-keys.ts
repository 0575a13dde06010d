import type { CallPriced } from '@autocoder/contracts';

/** The rollups the ledger keeps; each call adds to one row of every dimension. */
export const RollupDimensions = ['session', 'run', 'feature', 'task', 'model', 'project', 'day', 'hour'] as const;
export type RollupDimension = (typeof RollupDimensions)[number];

export interface RollupKey {
  dimension: RollupDimension;
  key: string;
  projectId: string;
  label: string | null;
}

type Line = Pick<CallPriced['data'], 'projectId' | 'runId' | 'sessionId' | 'featureId' | 'taskId' | 'model' | 'calledAt'>;

/**
 * The row of each dimension a call adds to. Features, tasks, models, days and hours are per project
 * (ids of features repeat across projects); a call of no feature or task (the initializer's) has its
 * own row with an empty key, so every breakdown sums to the project's total.
 */
export function rollupKeysOf(line: Line): Record<RollupDimension, RollupKey> {
  const p = line.projectId;
  const at = new Date(line.calledAt).toISOString();
  const day = at.slice(0, 10);
  const hour = `${at.slice(0, 13)}:00:00.000Z`;
  const of = (dimension: RollupDimension, key: string, label: string | null): RollupKey => ({ dimension, key, projectId: p, label });
  return {
    session: of('session', line.sessionId, null),
    run: of('run', line.runId, null),
    feature: of('feature', `${p}/${line.featureId ?? ''}`, line.featureId),
    task: of('task', `${p}/${line.taskId ?? ''}`, line.taskId),
    model: of('model', `${p}/${line.model}`, line.model),
    project: of('project', p, null),
    day: of('day', `${p}/${day}`, day),
    hour: of('hour', `${p}/${hour}`, hour),
  };
}
