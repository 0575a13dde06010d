import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The projects read model: one row per registered project (its feature counts are read from the features). */
@Entity({ name: 'projects' })
export class ProjectRow {
  @PrimaryColumn({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) spec!: string;
  @Column({ type: 'text' }) path!: string;
  @Column({ name: 'repository_url', type: 'text', nullable: true }) repositoryUrl!: string | null;
  @Column({ type: 'boolean' }) network!: boolean;
  @Column({ name: 'registered_at', type: 'timestamptz' }) registeredAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
