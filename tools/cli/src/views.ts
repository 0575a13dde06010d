/** The gateway's REST payloads (seed 002, snake_case), as far as the CLI reads them. */

export interface FeatureCounts {
  pending: number;
  in_progress: number;
  passing: number;
  failing: number;
  skipped: number;
  total: number;
}

export interface Usage {
  input: number;
  output: number;
  cache_write_5m: number;
  cache_write_1h: number;
  cache_read: number;
  total: number;
}

export interface Project {
  id: string;
  name: string;
  path: string;
  repository_url: string | null;
  network: boolean;
  feature_counts: FeatureCounts;
}

export interface Run {
  id: string;
  project_id: string;
  status: string;
  yolo: boolean;
  model: string;
  session_count: number;
  model_calls: number;
  tool_calls: number;
  feature_counts: FeatureCounts;
  usage: Usage;
  reason: string | null;
  completion: string | null;
  started_at: string;
  ended_at: string | null;
  /** From the usage service on GET /api/agent-runs/:id: exact dollars, or null with cost_unavailable saying why. */
  cost_usd?: string | null;
  unknown_model_calls?: number | null;
  cost_unavailable?: string | null;
}

export interface UsageTotals {
  calls: number;
  usage: Usage;
  cost_usd: string;
  unknown_model_calls: number;
}

export interface UsageRow extends UsageTotals {
  key: string;
  label: string | null;
}

export interface ProjectUsage {
  project_id: string;
  totals: UsageTotals;
  by_feature: UsageRow[];
  by_model: UsageRow[];
}

export interface AllUsage {
  totals: UsageTotals;
  /** Most expensive first; `label` the project's name. */
  by_project: UsageRow[];
}

export interface Budget {
  scope: string;
  scope_id: string;
  project_id: string;
  soft_usd: string | null;
  hard_usd: string | null;
  spent_usd: string;
  reserved_usd: string;
  warned: boolean;
  exhausted: boolean;
}

export interface LogLine {
  seq: number;
  at: string;
  level: string;
  msg: string;
  session_id: string | null;
}

export interface StreamEntry {
  seq: number;
  run_id: string;
  session_id: string | null;
  event_type: string;
  at: string;
  data: Record<string, unknown>;
}
