/** Events of a project (stream `project-<projectId>`), owned by the runner: its spec, workspace and features. */

export const FeatureStatuses = ['pending', 'in_progress', 'passing', 'failing', 'skipped'] as const;
export type FeatureStatus = (typeof FeatureStatuses)[number];

/** A feature's text is fixed once defined: only its status changes, and it is never deleted. */
export interface FeatureDefinition {
  featureId: string;
  /** Position in the project's feature list (0-based, in definition order). */
  index: number;
  category: string;
  name: string;
  description: string;
  steps: string[];
  /** Lower runs first. */
  priority: number;
  /** Feature ids that must pass (or be skipped) before this one is worked on. */
  dependsOn: string[];
}

/** What a passing mark rests on: the command that ran green after the session's last file change. */
export interface FeatureEvidence {
  command: string | null;
  exitCode: number | null;
  outputTail: string;
  /** The model's own words when it marked the feature. */
  note: string;
}

export interface ProjectWorkspace {
  /** Absolute path of the project folder. */
  path: string;
  /** Where it was cloned from, or null for a plain folder. */
  repositoryUrl: string | null;
}

export type ProjectRegistered = {
  type: 'ProjectRegistered';
  data: { projectId: string; name: string; spec: string; workspace: ProjectWorkspace; network: boolean; registeredAt: string };
};
export type ProjectUpdated = {
  type: 'ProjectUpdated';
  data: { projectId: string; name: string; spec: string; network: boolean; updatedAt: string };
};
export type FeaturesDefined = {
  type: 'FeaturesDefined';
  data: {
    projectId: string;
    features: FeatureDefinition[];
    /** The initializer session that wrote them, or an import of the workspace's feature_list.json. */
    source: 'initializer' | 'sync';
    sessionId: string | null;
    definedAt: string;
  };
};
export type FeatureStatusChanged = {
  type: 'FeatureStatusChanged';
  data: {
    projectId: string;
    featureId: string;
    from: FeatureStatus;
    to: FeatureStatus;
    reason: string | null;
    evidence: FeatureEvidence | null;
    /** The test gate was skipped (YOLO mode). */
    yolo: boolean;
    runId: string | null;
    sessionId: string | null;
    changedAt: string;
  };
};

export type ProjectEvent = ProjectRegistered | ProjectUpdated | FeaturesDefined | FeatureStatusChanged;

export const projectStreamName = (projectId: string) => `project-${projectId}`;

/** A feature is finished for a run when it passes or was skipped; a failing one may be tried again. */
export const FinishedFeatureStatuses: readonly FeatureStatus[] = ['passing', 'skipped'];
