import type { FeatureStatus, FeatureView, ProjectEvent } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { featureTaskId } from '../projects/feature-tasks';
import { FeatureRow } from './feature-row.entity';
import { dateOf, isoOf } from './row-columns';
import { RowBatch } from './row-batch';
import type { EventsOf, IgnoredEvents } from './runner-events';

export type FeaturesEvent = EventsOf<ProjectEvent, 'FeaturesDefined' | 'FeatureStatusChanged'>;
type FeaturesBatch = RowBatch<FeatureView>;

/** Features of different projects may share an id (a workspace's feature_list.json names its own). */
const key = (projectId: string, featureId: string) => `${projectId}/${featureId}`;

export const featuresHandlers: EventHandlers<FeaturesEvent, FeaturesBatch> = {
  FeaturesDefined: ({ data }, batch) => {
    for (const f of data.features) {
      // A feature's text is fixed once defined: a second definition of the same id changes nothing.
      if (batch.get(key(data.projectId, f.featureId))) continue;
      batch.set(key(data.projectId, f.featureId), {
        featureId: f.featureId,
        projectId: data.projectId,
        index: f.index,
        category: f.category,
        name: f.name,
        description: f.description,
        steps: f.steps,
        priority: f.priority,
        dependsOn: f.dependsOn,
        status: 'pending',
        taskId: featureTaskId(f.featureId),
        reason: null,
        evidence: null,
        yolo: false,
        updatedAt: data.definedAt,
      });
    }
  },
  FeatureStatusChanged: ({ data }, batch) =>
    batch.update(key(data.projectId, data.featureId), (f) => ({
      ...f,
      status: data.to,
      reason: data.reason,
      evidence: data.evidence,
      yolo: data.yolo,
      updatedAt: data.changedAt,
    })),
};

export const featuresIgnoredEvents: IgnoredEvents<ProjectEvent, FeaturesEvent['type']> = {
  ProjectRegistered: 'a project starts with no features',
  ProjectUpdated: 'name, spec and network are not part of a feature',
};

/** Each project's features: text as defined, status, reason and evidence as last changed. */
export class FeaturesProjection extends HandlerProjection<FeaturesEvent, FeaturesBatch, FeatureView> {
  readonly name = 'runner.features';
  readonly tables: string[];
  protected readonly handlers = featuresHandlers;

  constructor(schema: string) {
    super();
    this.tables = [`${schema}.features`];
  }

  protected async begin(events: Recorded<FeaturesEvent>[], tx: EntityManager): Promise<FeaturesBatch> {
    const batch = new RowBatch<FeatureView>();
    const wanted = new Map<string, Set<string>>();
    for (const event of events) {
      const ids = wanted.get(event.data.projectId) ?? new Set<string>();
      if (event.type === 'FeaturesDefined') for (const f of event.data.features) ids.add(f.featureId);
      else ids.add(event.data.featureId);
      wanted.set(event.data.projectId, ids);
    }
    const repository = tx.getRepository(FeatureRow);
    for (const [projectId, ids] of wanted) {
      for (const row of await repository.findBy({ projectId, featureId: In([...ids]) })) batch.load(key(row.projectId, row.featureId), featureViewOfRow(row));
    }
    return batch;
  }

  protected async finish(batch: FeaturesBatch, tx: EntityManager): Promise<FeatureView[]> {
    const views = batch.changed;
    if (views.length) await tx.getRepository(FeatureRow).upsert(views.map(featureRowOfView), ['projectId', 'featureId']);
    return views;
  }
}

export const featureViewOfRow = (row: FeatureRow): FeatureView => ({
  featureId: row.featureId,
  projectId: row.projectId,
  index: row.index,
  category: row.category,
  name: row.name,
  description: row.description,
  steps: row.steps,
  priority: row.priority,
  dependsOn: row.dependsOn,
  status: row.status as FeatureStatus,
  taskId: row.taskId,
  reason: row.reason,
  evidence: row.evidence,
  yolo: row.yolo,
  updatedAt: isoOf(row.updatedAt),
});

const featureRowOfView = (v: FeatureView): FeatureRow => Object.assign(new FeatureRow(), { ...v, updatedAt: dateOf(v.updatedAt) });
