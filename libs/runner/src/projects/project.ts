import {
  ErrorCodes,
  FinishedFeatureStatuses,
  fail,
  nameBasedUuid,
  type FeatureDefinition,
  type FeatureEvidence,
  type FeatureStatus,
  type ProjectEvent,
  type ProjectWorkspace,
} from '@autocoder/contracts';
import type { Decider } from '@autocoder/eventstore';

/** A feature as the initializer (or a feature_list.json) proposes it; dependencies by position in the same list. */
export interface FeatureDraft {
  category: string;
  name: string;
  description: string;
  steps: string[];
  priority?: number;
  dependsOn?: number[];
}

export type ProjectCommand =
  | { type: 'RegisterProject'; data: { projectId: string; name: string; spec: string; workspace: ProjectWorkspace; network: boolean; now: string } }
  | { type: 'UpdateProject'; data: { name?: string; spec?: string; network?: boolean; now: string } }
  | { type: 'DefineFeatures'; data: { features: FeatureDraft[]; source: 'initializer' | 'sync'; sessionId: string | null; now: string } }
  | {
      type: 'ChangeFeatureStatus';
      data: {
        featureId: string;
        to: FeatureStatus;
        reason: string | null;
        evidence: FeatureEvidence | null;
        yolo: boolean;
        runId: string | null;
        sessionId: string | null;
        now: string;
      };
    };

export interface FeatureState extends FeatureDefinition {
  status: FeatureStatus;
}

export type ProjectState =
  | { exists: false }
  | {
      exists: true;
      projectId: string;
      name: string;
      spec: string;
      workspace: ProjectWorkspace;
      network: boolean;
      /** In definition order: `features[i].index === i`. */
      features: FeatureState[];
    };

export type ExistingProject = Extract<ProjectState, { exists: true }>;

export const initialProjectState: ProjectState = { exists: false };

export const MAX_FEATURES_PER_PROJECT = 2000;

/** Feature ids follow from the project and the position, so a retried definition names the same features. */
export const featureIdOf = (projectId: string, index: number): string => nameBasedUuid(`runner/feature/${projectId}/${index}`);

/** Moves a feature may make. Passing may fall back to failing (a regression); nothing leaves the list. */
export const FeatureTransitions: Record<FeatureStatus, readonly FeatureStatus[]> = {
  pending: ['in_progress', 'passing', 'failing', 'skipped'],
  in_progress: ['pending', 'passing', 'failing', 'skipped'],
  failing: ['pending', 'in_progress', 'passing', 'skipped'],
  passing: ['failing', 'in_progress'],
  skipped: ['pending', 'in_progress'],
};

const mustExist = (state: ProjectState): ExistingProject => (state.exists ? state : fail(ErrorCodes.NotFound, 'the project does not exist'));

const invalid = (message: string): never => fail(ErrorCodes.ValidationFailed, message);

function definitions(project: ExistingProject, drafts: FeatureDraft[]): FeatureDefinition[] {
  if (drafts.length === 0) invalid('features: must list at least one feature');
  if (project.features.length + drafts.length > MAX_FEATURES_PER_PROJECT) {
    invalid(`features: a project holds at most ${MAX_FEATURES_PER_PROJECT} features; it has ${project.features.length} and ${drafts.length} more were given`);
  }
  const base = project.features.length;
  drafts.forEach((draft, i) => {
    for (const position of draft.dependsOn ?? []) {
      if (!Number.isInteger(position) || position < 0 || position >= drafts.length) {
        invalid(`features.${i}.depends_on: ${position} is not a position in this list (0 to ${drafts.length - 1})`);
      }
      if (position === i) invalid(`features.${i}.depends_on: a feature cannot depend on itself`);
    }
  });
  const cycle = findCycle(drafts.map((d) => d.dependsOn ?? []));
  if (cycle) invalid(`features: depends_on forms a cycle through positions ${cycle.join(' -> ')}`);
  return drafts.map((draft, i) => ({
    featureId: featureIdOf(project.projectId, base + i),
    index: base + i,
    category: draft.category,
    name: draft.name,
    description: draft.description,
    steps: draft.steps,
    priority: draft.priority ?? base + i,
    dependsOn: [...new Set(draft.dependsOn ?? [])].map((p) => featureIdOf(project.projectId, base + p)),
  }));
}

function findCycle(edges: number[][]): number[] | null {
  const state = new Array<0 | 1 | 2>(edges.length).fill(0);
  const path: number[] = [];
  const visit = (node: number): number[] | null => {
    if (state[node] === 2) return null;
    if (state[node] === 1) return [...path.slice(path.indexOf(node)), node];
    state[node] = 1;
    path.push(node);
    for (const next of edges[node]) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state[node] = 2;
    return null;
  };
  for (let i = 0; i < edges.length; i++) {
    const found = visit(i);
    if (found) return found;
  }
  return null;
}

export function decideProject(command: ProjectCommand, state: ProjectState): ProjectEvent[] {
  switch (command.type) {
    case 'RegisterProject': {
      const { now, ...project } = command.data;
      if (state.exists) return []; // the same registration retried
      return [{ type: 'ProjectRegistered', data: { ...project, registeredAt: now } }];
    }
    case 'UpdateProject': {
      const project = mustExist(state);
      const next = { name: command.data.name ?? project.name, spec: command.data.spec ?? project.spec, network: command.data.network ?? project.network };
      if (next.name === project.name && next.spec === project.spec && next.network === project.network) return [];
      return [{ type: 'ProjectUpdated', data: { projectId: project.projectId, ...next, updatedAt: command.data.now } }];
    }
    case 'DefineFeatures': {
      const project = mustExist(state);
      const { features, source, sessionId, now } = command.data;
      return [{ type: 'FeaturesDefined', data: { projectId: project.projectId, features: definitions(project, features), source, sessionId, definedAt: now } }];
    }
    case 'ChangeFeatureStatus': {
      const project = mustExist(state);
      const c = command.data;
      const feature = project.features.find((f) => f.featureId === c.featureId) ?? fail(ErrorCodes.NotFound, `feature ${c.featureId} is not a feature of project ${project.projectId}`);
      if (feature.status === c.to) return [];
      if (!FeatureTransitions[feature.status].includes(c.to)) {
        return fail(
          ErrorCodes.InvalidTransition,
          `feature ${c.featureId} is ${feature.status}; it can become ${FeatureTransitions[feature.status].join(', ')}, not ${c.to}`,
        );
      }
      if ((c.to === 'failing' || c.to === 'skipped') && !c.reason) invalid(`a ${c.to} feature needs a reason`);
      const { now, ...change } = c;
      return [{ type: 'FeatureStatusChanged', data: { ...change, projectId: project.projectId, from: feature.status, changedAt: now } }];
    }
  }
}

export function evolveProject(state: ProjectState, event: ProjectEvent): ProjectState {
  switch (event.type) {
    case 'ProjectRegistered': {
      const { registeredAt: _at, ...project } = event.data;
      return { exists: true, ...project, features: [] };
    }
    case 'ProjectUpdated': {
      const project = mustExist(state);
      return { ...project, name: event.data.name, spec: event.data.spec, network: event.data.network };
    }
    case 'FeaturesDefined': {
      const project = mustExist(state);
      return { ...project, features: [...project.features, ...event.data.features.map((f) => ({ ...f, status: 'pending' as const }))] };
    }
    case 'FeatureStatusChanged': {
      const project = mustExist(state);
      return { ...project, features: project.features.map((f) => (f.featureId === event.data.featureId ? { ...f, status: event.data.to } : f)) };
    }
  }
}

export const projectDecider: Decider<ProjectCommand, ProjectEvent, ProjectState> = {
  decide: decideProject,
  evolve: evolveProject,
  initialState: initialProjectState,
};

/** Passing or skipped: nothing is left to do for it. */
export const isFinished = (feature: FeatureState): boolean => FinishedFeatureStatuses.includes(feature.status);

/** Features whose dependencies are all finished: the ones a session may work on. */
export const unblockedFeatures = (project: ExistingProject): FeatureState[] => {
  const byId = new Map(project.features.map((f) => [f.featureId, f]));
  return project.features.filter((f) => f.dependsOn.every((id) => { const dep = byId.get(id); return dep !== undefined && isFinished(dep); }));
};

export const featureCountsOf = (project: ExistingProject) => {
  const counts = { pending: 0, in_progress: 0, passing: 0, failing: 0, skipped: 0, total: project.features.length };
  for (const f of project.features) counts[f.status]++;
  return counts;
};
