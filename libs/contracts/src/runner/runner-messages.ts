import { z } from 'zod';
import { boundedTimestamp, uuid } from '../validation';
import type { FeatureEvidence, FeatureStatus } from './project-events';
import type { RunCompletionReason, RunLimits, RunStatus, SessionKind, SessionOutcome } from './run-events';
import type { ModelUsage } from './session-events';

/** A spec is a document, not a novel: 1 MiB of text is far beyond any app spec seen. */
export const SPEC_MAX_BYTES = 1024 * 1024;

const name = z.string({ message: 'must be a string' }).trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters');
const spec = z
  .string({ message: 'must be a string (the app spec text)' })
  .refine((s) => s.trim().length > 0, 'must not be empty: the app spec is what the agents build from')
  .refine((s) => Buffer.byteLength(s, 'utf8') <= SPEC_MAX_BYTES, `must be at most ${SPEC_MAX_BYTES} bytes (1 MiB)`);
const absolutePath = z
  .string({ message: 'must be a string' })
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .refine((p) => p.startsWith('/'), 'must be an absolute path (it is resolved on the runner, not where you are)');
const repositoryUrl = z
  .string({ message: 'must be a string' })
  .min(1, 'must not be empty')
  .max(2048, 'must be at most 2048 characters')
  .refine((u) => /^(https?:\/\/|ssh:\/\/|git@|file:\/\/|\/)/.test(u), 'must be an http(s), ssh or file URL, git@host:path, or an absolute path of a local repository');

export const RegisterProjectInput = z.strictObject({
  name,
  spec,
  /** The workspace folder (created if missing); default AUTOCODER_HOME/projects/<id>. */
  path: absolutePath.optional(),
  /** A repository to clone into the workspace. */
  repositoryUrl: repositoryUrl.optional(),
  /** Whether commands in the sandbox may use the network. */
  network: z.boolean({ message: 'must be true or false' }).default(false),
});
export type RegisterProjectInput = z.infer<typeof RegisterProjectInput>;

export const UpdateProjectInput = z.strictObject({
  projectId: uuid(),
  name: name.optional(),
  spec: spec.optional(),
  network: z.boolean({ message: 'must be true or false' }).optional(),
});
export type UpdateProjectInput = z.infer<typeof UpdateProjectInput>;

export const ProjectIdInput = z.strictObject({ projectId: uuid() });
export type ProjectIdInput = z.infer<typeof ProjectIdInput>;

const count = (what: string, max: number) =>
  z.number({ message: `must be a number of ${what}` }).int(`must be a whole number of ${what}`).min(1, `must be from 1 to ${max}`).max(max, `must be from 1 to ${max}`);

export const StartRunInput = z.strictObject({
  projectId: uuid(),
  /** Skip the test gate (seed 001's YOLO mode); every passing mark says so. */
  yolo: z.boolean({ message: 'must be true or false' }).default(false),
  model: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  maxSessions: count('sessions', 1000).optional(),
  maxTurnsPerSession: count('turns', 1000).optional(),
  /** 0 for no limit. */
  maxTokens: z.number({ message: 'must be a number of tokens' }).int('must be a whole number of tokens').min(0, 'must be 0 (no limit) or more').optional(),
});
export type StartRunInput = z.infer<typeof StartRunInput>;

export const RunControlInput = z.strictObject({
  runId: uuid(),
  reason: z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters').optional(),
});
export type RunControlInput = z.infer<typeof RunControlInput>;

export const RunIdInput = z.strictObject({ runId: uuid() });
export type RunIdInput = z.infer<typeof RunIdInput>;

export const ListRunsInput = z.strictObject({ projectId: uuid().optional() });
export type ListRunsInput = z.infer<typeof ListRunsInput>;

export const SessionIdInput = z.strictObject({ sessionId: uuid() });

/** A page of a run's timeline (or one session's) after a position: the stream replays and resumes from it. */
export const RunTimelineInput = z.strictObject({
  runId: uuid().optional(),
  sessionId: uuid().optional(),
  /** Only entries after this sequence number (the SSE `id`). */
  after: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(0, 'must be 0 or more').default(0),
  limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 1000').max(1000, 'must be from 1 to 1000').default(500),
});
export type RunTimelineInput = z.infer<typeof RunTimelineInput>;

export const LogLevels = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LogLevels)[number];

export const RunLogsInput = z.strictObject({
  runId: uuid(),
  level: z.enum(LogLevels, { message: `must be one of ${LogLevels.join(', ')}` }).optional(),
  since: boundedTimestamp().optional(),
  sessionId: uuid().optional(),
  limit: z.coerce.number({ message: 'must be a number' }).int('must be a whole number').min(1, 'must be from 1 to 10000').max(10000, 'must be from 1 to 10000').default(1000),
});
export type RunLogsInput = z.infer<typeof RunLogsInput>;

export type FeatureCounts = Record<FeatureStatus, number> & { total: number };

export interface ProjectView {
  projectId: string;
  name: string;
  spec: string;
  path: string;
  repositoryUrl: string | null;
  network: boolean;
  featureCounts: FeatureCounts;
  registeredAt: string;
  updatedAt: string;
}

export interface FeatureView {
  featureId: string;
  projectId: string;
  index: number;
  category: string;
  name: string;
  description: string;
  steps: string[];
  priority: number;
  dependsOn: string[];
  status: FeatureStatus;
  /** The coordinator task a runner claims to work on it. */
  taskId: string;
  reason: string | null;
  evidence: FeatureEvidence | null;
  yolo: boolean;
  updatedAt: string;
}

export interface SessionView {
  sessionId: string;
  runId: string;
  projectId: string;
  number: number;
  kind: SessionKind;
  featureId: string | null;
  taskId: string | null;
  model: string;
  turns: number;
  toolCalls: number;
  usage: ModelUsage;
  outcome: SessionOutcome | null;
  reason: string | null;
  startedAt: string;
  endedAt: string | null;
}

export interface RunView {
  runId: string;
  projectId: string;
  status: RunStatus;
  yolo: boolean;
  model: string;
  limits: RunLimits;
  sessions: number;
  modelCalls: number;
  toolCalls: number;
  featureCounts: FeatureCounts;
  usage: ModelUsage;
  /** Why it is paused, stopped, completed or failed. */
  reason: string | null;
  completion: RunCompletionReason | null;
  startedAt: string;
  updatedAt: string;
  endedAt: string | null;
}

/** The stream's event types, as seed 002 names them. */
export const RunStreamTypes = ['status', 'tool_call', 'tool_result', 'feature', 'commit', 'test', 'error', 'complete'] as const;
export type RunStreamType = (typeof RunStreamTypes)[number];

/** One entry of a run's timeline: what the SSE stream, the websocket and GraphQL deliver. */
export interface RunTimelineEntry {
  /** Increasing per installation; the SSE `id` and `Last-Event-ID`. */
  seq: number;
  runId: string;
  projectId: string;
  sessionId: string | null;
  type: RunStreamType;
  /** The stored event it shows. */
  eventType: string;
  at: string;
  data: Record<string, unknown>;
}

export interface RunTimelinePage {
  entries: RunTimelineEntry[];
  /** The run has ended: a client that has read every entry may close. */
  finished: boolean;
}

export interface RunLogLine {
  level: LogLevel;
  at: string;
  msg: string;
  runId: string;
  sessionId: string | null;
  correlationId: string | null;
  eventType: string;
  seq: number;
  data: Record<string, unknown>;
}

export interface FeatureSyncResult {
  imported: number;
  updated: number;
  unchanged: number;
}
