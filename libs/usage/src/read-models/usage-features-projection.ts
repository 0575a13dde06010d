import type { FeaturesDefined, FeatureStatusChanged } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import type { EntityManager } from 'typeorm';

/** The runner's feature events the usage service reads (from the store, not the runner's tables). */
export type UsageFeatureEvent = FeaturesDefined | FeatureStatusChanged;

interface FeatureRecord {
  projectId: string;
  featureId: string;
  name: string;
  status: string;
  updatedAt: string;
}

class FeatureBatch {
  readonly rows = new Map<string, FeatureRecord>();
  readonly changed = new Set<string>();
}

const key = (projectId: string, featureId: string) => `${projectId}/${featureId}`;

export const usageFeatureHandlers: EventHandlers<UsageFeatureEvent, FeatureBatch> = {
  FeaturesDefined: ({ data }, batch) => {
    for (const f of data.features) {
      const k = key(data.projectId, f.featureId);
      // A feature's text is fixed once defined: a second definition of the same id changes nothing.
      if (batch.rows.has(k)) continue;
      batch.rows.set(k, { projectId: data.projectId, featureId: f.featureId, name: f.name, status: 'pending', updatedAt: data.definedAt });
      batch.changed.add(k);
    }
  },
  FeatureStatusChanged: ({ data }, batch) => {
    const k = key(data.projectId, data.featureId);
    const row = batch.rows.get(k);
    if (!row) return;
    batch.rows.set(k, { ...row, status: data.to, updatedAt: data.changedAt });
    batch.changed.add(k);
  },
};

/** Each project's features and their status, for the estimates (which features remain, which passed). */
export class UsageFeaturesProjection extends HandlerProjection<UsageFeatureEvent, FeatureBatch, never> {
  readonly name = 'usage.features';
  readonly tables: string[];
  protected readonly handlers = usageFeatureHandlers;

  constructor(private readonly schema: string) {
    super();
    this.tables = [`${schema}.features`];
  }

  protected async begin(events: Recorded<UsageFeatureEvent>[], tx: EntityManager): Promise<FeatureBatch> {
    const batch = new FeatureBatch();
    const projects = [...new Set(events.map((e) => e.data.projectId))];
    const rows: { project_id: string; feature_id: string; name: string; status: string; updated_at: Date }[] = await tx.query(
      `SELECT * FROM ${this.schema}.features WHERE project_id = ANY($1::uuid[])`,
      [projects],
    );
    for (const r of rows) {
      batch.rows.set(key(r.project_id, r.feature_id), { projectId: r.project_id, featureId: r.feature_id, name: r.name, status: r.status, updatedAt: new Date(r.updated_at).toISOString() });
    }
    return batch;
  }

  protected async finish(batch: FeatureBatch, tx: EntityManager): Promise<never[]> {
    const rows = [...batch.changed].map((k) => batch.rows.get(k)!);
    if (rows.length) {
      await tx.query(
        `INSERT INTO ${this.schema}.features (project_id, feature_id, name, status, updated_at)
           SELECT "projectId", "featureId", name, status, "updatedAt"
             FROM jsonb_to_recordset($1::jsonb) AS x("projectId" uuid, "featureId" text, name text, status text, "updatedAt" timestamptz)
         ON CONFLICT (project_id, feature_id) DO UPDATE SET status = EXCLUDED.status, updated_at = EXCLUDED.updated_at`,
        [JSON.stringify(rows)],
      );
    }
    return [];
  }
}
