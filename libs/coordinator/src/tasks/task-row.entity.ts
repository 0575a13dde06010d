import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The tasks read model: one row per task as the tasks projection last wrote it. */
@Entity({ name: 'tasks' })
export class TaskRow {
  @PrimaryColumn({ name: 'task_id', type: 'uuid' }) taskId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'text' }) title!: string;
  @Column({ type: 'text' }) description!: string;
  @Column({ name: 'required_specialization_code', type: 'text' }) requiredSpecializationCode!: string;
  @Column({ name: 'created_by', type: 'uuid' }) createdBy!: string;
  @Column({ type: 'text' }) priority!: string;
  @Column({ name: 'depends_on', type: 'uuid', array: true }) dependsOn!: string[];
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'text', nullable: true }) blocker!: string | null;
  @Column({ name: 'lease_id', type: 'text', nullable: true }) leaseId!: string | null;
  @Column({ name: 'assignee_agent_id', type: 'uuid', nullable: true }) assigneeAgentId!: string | null;
  @Column({ name: 'assignee_id', type: 'uuid', nullable: true }) assigneeId!: string | null;
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true }) leaseExpiresAt!: Date | null;
  @Column({ name: 'fencing_token', type: 'integer' }) fencingToken!: number;
  @Column({ name: 'lease_ttl_sec', type: 'integer' }) leaseTtlSec!: number;
  @Column({ name: 'claim_override', type: 'boolean' }) claimOverride!: boolean;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ type: 'integer' }) revision!: number;
}
