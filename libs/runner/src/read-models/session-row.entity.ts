import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, type UsageColumns } from './row-columns';

/**
 * The sessions read model: one row per session a run opened. Project and model come with the
 * session's SessionStarted; until then (or if it never came) the run's are shown.
 */
@Entity({ name: 'sessions' })
export class SessionRow implements UsageColumns {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' }) sessionId!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'project_id', type: 'uuid', nullable: true }) projectId!: string | null;
  @Column({ type: 'integer' }) number!: number;
  @Column({ type: 'text' }) kind!: string;
  @Column({ name: 'feature_id', type: 'text', nullable: true }) featureId!: string | null;
  @Column({ name: 'task_id', type: 'uuid', nullable: true }) taskId!: string | null;
  @Column({ type: 'text', nullable: true }) model!: string | null;
  @Column({ type: 'integer' }) turns!: number;
  @Column({ name: 'tool_calls', type: 'integer' }) toolCalls!: number;
  @Column({ name: 'usage_input', type: 'bigint', transformer: bigintAsNumber }) usageInput!: number;
  @Column({ name: 'usage_output', type: 'bigint', transformer: bigintAsNumber }) usageOutput!: number;
  @Column({ name: 'usage_cache_write_5m', type: 'bigint', transformer: bigintAsNumber }) usageCacheWrite5m!: number;
  @Column({ name: 'usage_cache_write_1h', type: 'bigint', transformer: bigintAsNumber }) usageCacheWrite1h!: number;
  @Column({ name: 'usage_cache_read', type: 'bigint', transformer: bigintAsNumber }) usageCacheRead!: number;
  @Column({ type: 'text', nullable: true }) outcome!: string | null;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
}
