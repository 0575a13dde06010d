import type { ProjectEvent, ProjectView } from '@autocoder/contracts';
import { HandlerProjection, type EventHandlers, type Recorded } from '@autocoder/projections';
import { In, type EntityManager } from 'typeorm';
import { featureCountsOf } from './feature-counts';
import { ProjectRow } from './project-row.entity';
import { dateOf, isoOf } from './row-columns';
import { RowBatch } from './row-batch';
import type { EventsOf, IgnoredEvents } from './runner-events';

/** A project as its row holds it: the view without the counts, which are read from the features. */
export type ProjectRecord = Omit<ProjectView, 'featureCounts'>;

export type ProjectsEvent = EventsOf<ProjectEvent, 'ProjectRegistered' | 'ProjectUpdated'>;
type ProjectsBatch = RowBatch<ProjectRecord>;

export const projectsHandlers: EventHandlers<ProjectsEvent, ProjectsBatch> = {
  ProjectRegistered: ({ data }, batch) =>
    batch.set(data.projectId, {
      projectId: data.projectId,
      name: data.name,
      spec: data.spec,
      path: data.workspace.path,
      repositoryUrl: data.workspace.repositoryUrl,
      network: data.network,
      registeredAt: data.registeredAt,
      updatedAt: data.registeredAt,
    }),
  ProjectUpdated: ({ data }, batch) =>
    batch.update(data.projectId, (p) => ({ ...p, name: data.name, spec: data.spec, network: data.network, updatedAt: data.updatedAt })),
};

export const projectsIgnoredEvents: IgnoredEvents<ProjectEvent, ProjectsEvent['type']> = {
  FeaturesDefined: 'feature counts are read from the features read model',
  FeatureStatusChanged: 'feature counts are read from the features read model',
};

/** The projects list. Reports each changed project with its feature counts as the features read model has them. */
export class ProjectsProjection extends HandlerProjection<ProjectsEvent, ProjectsBatch, ProjectView> {
  readonly name = 'runner.projects';
  readonly tables: string[];
  protected readonly handlers = projectsHandlers;

  constructor(private readonly schema: string) {
    super();
    this.tables = [`${schema}.projects`];
  }

  protected async begin(events: Recorded<ProjectsEvent>[], tx: EntityManager): Promise<ProjectsBatch> {
    const batch = new RowBatch<ProjectRecord>();
    const ids = [...new Set(events.map((e) => e.data.projectId))];
    for (const row of await tx.getRepository(ProjectRow).findBy({ projectId: In(ids) })) batch.load(row.projectId, projectRecordOfRow(row));
    return batch;
  }

  protected async finish(batch: ProjectsBatch, tx: EntityManager): Promise<ProjectView[]> {
    const records = batch.changed;
    if (records.length === 0) return [];
    await tx.getRepository(ProjectRow).upsert(records.map(projectRowOfRecord), ['projectId']);
    const counts = await featureCountsOf(tx, this.schema, records.map((r) => r.projectId));
    return records.map((r) => ({ ...r, featureCounts: counts.get(r.projectId)! }));
  }
}

export const projectRecordOfRow = (row: ProjectRow): ProjectRecord => ({
  projectId: row.projectId,
  name: row.name,
  spec: row.spec,
  path: row.path,
  repositoryUrl: row.repositoryUrl,
  network: row.network,
  registeredAt: isoOf(row.registeredAt),
  updatedAt: isoOf(row.updatedAt),
});

const projectRowOfRecord = (r: ProjectRecord): ProjectRow =>
  Object.assign(new ProjectRow(), { ...r, registeredAt: dateOf(r.registeredAt), updatedAt: dateOf(r.updatedAt) });
