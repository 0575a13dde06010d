/** The REST shapes the demo reads (snake_case, as the gateway answers them). */

export interface RestUsage {
  input: number;
  output: number;
  cache_write_5m: number;
  cache_write_1h: number;
  cache_read: number;
  total: number;
}

export interface RestSession {
  id: string;
  number: number;
  kind: string;
  turns: number;
  tool_calls: number;
  outcome: string | null;
}

export interface RestRun {
  id: string;
  status: string;
  reason: string | null;
  completion: string | null;
  session_count: number;
  sessions?: RestSession[];
  model_calls: number;
  tool_calls: number;
  feature_counts: { passing: number; total: number } & Record<string, number>;
  usage: RestUsage;
}

export interface RestEntry {
  seq: number;
  session_id: string | null;
  event_type: string;
  at: string;
  data: Record<string, unknown>;
}
