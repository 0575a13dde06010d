import {
  AutocoderError,
  ErrorCodes,
  RegisterProjectInput,
  UpdateProjectInput,
  ProjectIdInput,
  nameBasedUuid,
  parseInput,
  projectStreamName,
  type Actor,
  type CommandEnvelope,
  type FeatureSyncResult,
  type ProjectEvent,
  type ProjectView,
  type QueryEnvelope,
} from '@autocoder/contracts';
import { contextOf, type AggregateStore } from '@autocoder/eventstore';
import type { CommandLog } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { join } from 'node:path';
import type { RunnerQueries } from '../read-models';
import { readFeatureList, nameOf } from './feature-list-file';
import { prepareWorkspace } from './prepare-workspace';
import { featureCountsOf, type ExistingProject, type ProjectCommand, type ProjectState } from './project';

/** Humans (the admin token) and the system run projects; agents' keys may only read them. */
export const requireAdmin = (actor: Actor | undefined, what: string) => {
  if (actor?.kind !== 'admin' && actor?.kind !== 'system') throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs the admin token`);
};

export const projectViewOf = (p: ExistingProject, at: string): ProjectView => ({
  projectId: p.projectId,
  name: p.name,
  spec: p.spec,
  path: p.workspace.path,
  repositoryUrl: p.workspace.repositoryUrl,
  network: p.network,
  featureCounts: featureCountsOf(p),
  registeredAt: at,
  updatedAt: at,
});

/** Registers projects (making their workspace first), edits them, and imports a workspace's feature list. */
export class ProjectsService {
  constructor(
    private readonly projects: AggregateStore<ProjectCommand, ProjectEvent, ProjectState>,
    private readonly commands: CommandLog,
    private readonly queries: RunnerQueries,
    private readonly projectsDir: string,
    private readonly logger: Logger,
    /** Read your writes: the projects read model has the event at this position (or a few seconds passed). */
    private readonly projected: (position: number | null) => Promise<void> = async () => undefined,
  ) {}

  async register(subject: string, envelope: CommandEnvelope): Promise<ProjectView> {
    requireAdmin(envelope.actor, 'registering a project');
    const input = parseInput(RegisterProjectInput, envelope.payload, 'project');
    return this.commands.run(subject, envelope, async () => {
      const projectId = nameBasedUuid(`runner/project/${envelope.commandId}`);
      const path = input.path ?? join(this.projectsDir, projectId);
      await prepareWorkspace({ path, repositoryUrl: input.repositoryUrl ?? null, pathGiven: input.path !== undefined });
      const now = new Date().toISOString();
      const handled = await this.projects.handle(
        projectStreamName(projectId),
        { type: 'RegisterProject', data: { projectId, name: input.name, spec: input.spec, workspace: { path, repositoryUrl: input.repositoryUrl ?? null }, network: input.network, now } },
        contextOf(envelope),
      );
      await this.projected(handled.position);
      this.logger.info({ projectId, path }, 'project registered');
      return { value: projectViewOf(handled.state as ExistingProject, now) };
    });
  }

  async update(subject: string, envelope: CommandEnvelope): Promise<ProjectView> {
    requireAdmin(envelope.actor, 'changing a project');
    const input = parseInput(UpdateProjectInput, envelope.payload, 'project change');
    return this.commands.run(subject, envelope, async () => {
      const now = new Date().toISOString();
      const { projectId, ...change } = input;
      const handled = await this.projects.handle(projectStreamName(projectId), { type: 'UpdateProject', data: { ...change, now } }, contextOf(envelope));
      await this.projected(handled.position);
      return { value: projectViewOf(handled.state as ExistingProject, now) };
    });
  }

  /**
   * Imports the workspace's feature_list.json: entries not known yet (by category and description) are
   * added; `passes: true` marks a known or new one passing. Nothing is changed or removed otherwise.
   */
  async syncFeatures(subject: string, envelope: CommandEnvelope): Promise<FeatureSyncResult> {
    requireAdmin(envelope.actor, 'importing features');
    const { projectId } = parseInput(ProjectIdInput, envelope.payload, 'feature sync');
    return this.commands.run(subject, envelope, async () => {
      const stream = projectStreamName(projectId);
      const loaded = await this.projects.load(stream);
      if (!loaded.state.exists) throw new AutocoderError(ErrorCodes.NotFound, `project ${projectId} does not exist`);
      const entries = await readFeatureList(loaded.state.workspace.path);
      const key = (category: string, description: string) => `${category}\u0000${description}`;
      const known = new Map(loaded.state.features.map((f) => [key(f.category, f.description), f]));
      const fresh = entries.filter((e) => !known.has(key(e.category, e.description)));
      let state = loaded.state;
      const context = (label: string) => contextOf(envelope, nameBasedUuid(`${envelope.commandId}/${label}`));
      const now = new Date().toISOString();
      if (fresh.length) {
        const drafts = fresh.map((e) => ({ category: e.category, name: nameOf(e), description: e.description, steps: e.steps }));
        state = (await this.projects.handle(stream, { type: 'DefineFeatures', data: { features: drafts, source: 'sync', sessionId: null, now } }, context('define'))).state as ExistingProject;
      }
      const byKey = new Map(state.features.map((f) => [key(f.category, f.description), f]));
      let updated = 0;
      for (const entry of entries.filter((e) => e.passes)) {
        const feature = byKey.get(key(entry.category, entry.description))!;
        if (feature.status === 'passing') continue;
        await this.projects.handle(
          stream,
          {
            type: 'ChangeFeatureStatus',
            data: { featureId: feature.featureId, to: 'passing', reason: 'imported: feature_list.json says it passes', evidence: null, yolo: false, runId: null, sessionId: null, now },
          },
          context(`pass/${feature.featureId}`),
        );
        updated++;
      }
      return { value: { imported: fresh.length, updated, unchanged: entries.length - fresh.length - updated } };
    });
  }

  list(_envelope: QueryEnvelope) {
    return this.queries.listProjects();
  }

  get(envelope: QueryEnvelope) {
    return this.queries.getProject(parseInput(ProjectIdInput, envelope.payload, 'project lookup').projectId);
  }

  features(envelope: QueryEnvelope) {
    return this.queries.listFeatures(parseInput(ProjectIdInput, envelope.payload, 'feature list').projectId);
  }
}
