import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** The agents read model: one row per agent, as the agents projection last wrote it. */
@Entity({ name: 'agents' })
export class AgentRow {
  @PrimaryColumn({ name: 'agent_id', type: 'uuid' })
  agentId!: string;

  @Index({ unique: true })
  @Column({ name: 'employee_id', type: 'uuid' })
  employeeId!: string;

  @Column({ type: 'text' })
  name!: string;

  @Column({ name: 'endpoint_url', type: 'text', nullable: true })
  endpointUrl!: string | null;

  @Column({ name: 'specialization_codes', type: 'text', array: true })
  specializationCodes!: string[];

  @Column({ type: 'jsonb' })
  capabilities!: Record<string, unknown>;

  @Column({ name: 'owner_employee_id', type: 'uuid', nullable: true })
  ownerEmployeeId!: string | null;

  @Column({ type: 'text' })
  status!: string;

  @Column({ name: 'status_metadata', type: 'jsonb' })
  statusMetadata!: Record<string, unknown>;

  @Column({ name: 'last_heartbeat_at', type: 'timestamptz', nullable: true })
  lastHeartbeatAt!: Date | null;

  @Column({ name: 'registered_at', type: 'timestamptz' })
  registeredAt!: Date;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;

  @Column({ type: 'integer' })
  revision!: number;
}
