import type { RunLimits } from '@autocoder/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber, type UsageColumns } from './row-columns';

/** The runs read model: one row per run, its counts and usage summed over its sessions' model calls. */
@Entity({ name: 'runs' })
export class RunRow implements UsageColumns {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'boolean' }) yolo!: boolean;
  @Column({ type: 'text' }) model!: string;
  @Column({ type: 'jsonb' }) limits!: RunLimits;
  @Column({ type: 'integer' }) sessions!: number;
  @Column({ name: 'model_calls', type: 'integer' }) modelCalls!: number;
  @Column({ name: 'tool_calls', type: 'integer' }) toolCalls!: number;
  @Column({ name: 'usage_input', type: 'bigint', transformer: bigintAsNumber }) usageInput!: number;
  @Column({ name: 'usage_output', type: 'bigint', transformer: bigintAsNumber }) usageOutput!: number;
  @Column({ name: 'usage_cache_write_5m', type: 'bigint', transformer: bigintAsNumber }) usageCacheWrite5m!: number;
  @Column({ name: 'usage_cache_write_1h', type: 'bigint', transformer: bigintAsNumber }) usageCacheWrite1h!: number;
  @Column({ name: 'usage_cache_read', type: 'bigint', transformer: bigintAsNumber }) usageCacheRead!: number;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ type: 'text', nullable: true }) completion!: string | null;
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
}
