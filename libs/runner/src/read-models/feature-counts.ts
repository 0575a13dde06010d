import { FeatureStatuses, type FeatureCounts, type FeatureStatus } from '@autocoder/contracts';
import type { EntityManager } from 'typeorm';

export const emptyFeatureCounts = (): FeatureCounts => ({ pending: 0, in_progress: 0, passing: 0, failing: 0, skipped: 0, total: 0 });

/**
 * Each project's features counted by status, read from the features read model when asked: the
 * counts of a project and of its runs are the features as they are, never a second tally that a
 * rebuild could make disagree with them. Projects without features get zeros.
 */
export async function featureCountsOf(db: Pick<EntityManager, 'query'>, schema: string, projectIds: string[]): Promise<Map<string, FeatureCounts>> {
  const counts = new Map(projectIds.map((id) => [id, emptyFeatureCounts()]));
  if (projectIds.length === 0) return counts;
  const rows: { project_id: string; status: string; n: number }[] = await db.query(
    `SELECT project_id, status, count(*)::int AS n FROM ${schema}.features WHERE project_id = ANY($1::uuid[]) GROUP BY project_id, status`,
    [projectIds],
  );
  for (const row of rows) {
    const of = counts.get(row.project_id)!;
    if ((FeatureStatuses as readonly string[]).includes(row.status)) of[row.status as FeatureStatus] += row.n;
    of.total += row.n;
  }
  return counts;
}
