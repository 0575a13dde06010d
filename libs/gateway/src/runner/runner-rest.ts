import type { FeatureView, ModelUsage, ProjectView, RunLimits, RunLogLine, RunTimelineEntry, RunView, SessionView } from '@autocoder/contracts';

/** Seed 002's payloads are snake_case throughout; the runner's views are camelCase. Free-form data stays as written. */

export const restUsage = (u: ModelUsage) => ({
  input: u.input,
  output: u.output,
  cache_write_5m: u.cacheWrite5m,
  cache_write_1h: u.cacheWrite1h,
  cache_read: u.cacheRead,
  total: u.input + u.output + u.cacheWrite5m + u.cacheWrite1h + u.cacheRead,
});

const restLimits = (l: RunLimits) => ({ max_sessions: l.maxSessions, max_turns_per_session: l.maxTurnsPerSession, max_tokens: l.maxTokens });

export const restProject = (p: ProjectView) => ({
  id: p.projectId,
  name: p.name,
  spec: p.spec,
  path: p.path,
  repository_url: p.repositoryUrl,
  network: p.network,
  feature_counts: { ...p.featureCounts },
  registered_at: p.registeredAt,
  updated_at: p.updatedAt,
});

export const restFeature = (f: FeatureView) => ({
  id: f.featureId,
  project_id: f.projectId,
  index: f.index,
  category: f.category,
  name: f.name,
  description: f.description,
  steps: f.steps,
  priority: f.priority,
  depends_on: f.dependsOn,
  status: f.status,
  task_id: f.taskId,
  reason: f.reason,
  evidence: f.evidence && { command: f.evidence.command, exit_code: f.evidence.exitCode, output_tail: f.evidence.outputTail, note: f.evidence.note },
  yolo: f.yolo,
  updated_at: f.updatedAt,
});

export const restSession = (s: SessionView) => ({
  id: s.sessionId,
  run_id: s.runId,
  project_id: s.projectId,
  number: s.number,
  kind: s.kind,
  feature_id: s.featureId,
  task_id: s.taskId,
  model: s.model,
  turns: s.turns,
  tool_calls: s.toolCalls,
  usage: restUsage(s.usage),
  outcome: s.outcome,
  reason: s.reason,
  started_at: s.startedAt,
  ended_at: s.endedAt,
});

/** A run; with its sessions when given (GET /api/agent-runs/:id), their count always. */
export const restRun = (r: RunView, sessions?: SessionView[]) => ({
  id: r.runId,
  project_id: r.projectId,
  status: r.status,
  yolo: r.yolo,
  model: r.model,
  limits: restLimits(r.limits),
  session_count: r.sessions,
  ...(sessions ? { sessions: sessions.map(restSession) } : {}),
  model_calls: r.modelCalls,
  tool_calls: r.toolCalls,
  feature_counts: { ...r.featureCounts },
  usage: restUsage(r.usage),
  reason: r.reason,
  completion: r.completion,
  started_at: r.startedAt,
  updated_at: r.updatedAt,
  ended_at: r.endedAt,
});

/** What the SSE `data:` line and a websocket message's `data` carry: where it belongs, and the entry's own data as written. */
export const restEntry = (e: RunTimelineEntry) => ({
  seq: e.seq,
  run_id: e.runId,
  project_id: e.projectId,
  session_id: e.sessionId,
  event_type: e.eventType,
  at: e.at,
  data: e.data,
});

export const restLogLine = (l: RunLogLine) => ({
  seq: l.seq,
  at: l.at,
  level: l.level,
  msg: l.msg,
  run_id: l.runId,
  session_id: l.sessionId,
  correlation_id: l.correlationId,
  event_type: l.eventType,
  data: l.data,
});
