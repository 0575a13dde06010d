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
