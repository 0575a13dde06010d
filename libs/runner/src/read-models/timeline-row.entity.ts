import { Column, Entity, PrimaryColumn } from 'typeorm';
import { bigintAsNumber } from './row-columns';

/** One entry of a run's timeline, with its log line's level and message (the logs are a query over these rows). */
@Entity({ name: 'run_timeline' })
export class TimelineRow {
  /** The shown event's position in the store. */
  @PrimaryColumn({ type: 'bigint', transformer: bigintAsNumber }) seq!: number;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ name: 'session_id', type: 'uuid', nullable: true }) sessionId!: string | null;
  @Column({ type: 'text' }) type!: string;
  @Column({ name: 'event_type', type: 'text' }) eventType!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'jsonb' }) data!: Record<string, unknown>;
  @Column({ type: 'text' }) level!: string;
  @Column({ type: 'text' }) msg!: string;
  @Column({ name: 'correlation_id', type: 'text', nullable: true }) correlationId!: string | null;
}

/** What the timeline keeps of a run: the project its entries belong to, and whether it ended. */
@Entity({ name: 'run_timeline_runs' })
export class TimelineRunRow {
  @PrimaryColumn({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
}

/** What the timeline keeps of a session: its run (FeaturesDefined names only the session), and whether it ended. */
@Entity({ name: 'run_timeline_sessions' })
export class TimelineSessionRow {
  @PrimaryColumn({ name: 'session_id', type: 'uuid' }) sessionId!: string;
  @Column({ name: 'run_id', type: 'uuid' }) runId!: string;
  @Column({ name: 'ended_at', type: 'timestamptz', nullable: true }) endedAt!: Date | null;
}
