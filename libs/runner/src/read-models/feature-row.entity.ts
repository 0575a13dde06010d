import type { FeatureEvidence } from '@autocoder/contracts';
import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The features read model: one row per defined feature, its text as defined and its status as last changed. */
@Entity({ name: 'features' })
export class FeatureRow {
  @PrimaryColumn({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @PrimaryColumn({ name: 'feature_id', type: 'text' }) featureId!: string;
  @Column({ name: 'feature_index', type: 'integer' }) index!: number;
  @Column({ type: 'text' }) category!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) description!: string;
  @Column({ type: 'jsonb' }) steps!: string[];
  @Column({ type: 'integer' }) priority!: number;
  @Column({ name: 'depends_on', type: 'jsonb' }) dependsOn!: string[];
  @Column({ type: 'text' }) status!: string;
  @Column({ name: 'task_id', type: 'uuid' }) taskId!: string;
  @Column({ type: 'text', nullable: true }) reason!: string | null;
  @Column({ type: 'jsonb', nullable: true }) evidence!: FeatureEvidence | null;
  @Column({ type: 'boolean' }) yolo!: boolean;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
