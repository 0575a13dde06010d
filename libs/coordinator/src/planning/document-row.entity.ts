import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Columns every plan or decision row has; the id column is named by each table. */
export abstract class DocumentRow {
  abstract id: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'text' }) title!: string;
  @Column({ name: 'body_markdown', type: 'text' }) bodyMarkdown!: string;
  /** Number of the current revision (1 after creation). */
  @Column({ type: 'integer' }) revision!: number;
  @Column({ name: 'created_by', type: 'text' }) createdBy!: string;
  @Column({ name: 'created_by_employee_id', type: 'uuid', nullable: true }) createdByEmployeeId!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_by', type: 'text' }) updatedBy!: string;
  @Column({ name: 'updated_by_employee_id', type: 'uuid', nullable: true }) updatedByEmployeeId!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** One kept revision of a plan or decision. */
export abstract class DocumentRevisionRow {
  abstract id: string;
  @PrimaryColumn({ type: 'integer' }) revision!: number;
  @Column({ type: 'text' }) title!: string;
  @Column({ name: 'body_markdown', type: 'text' }) bodyMarkdown!: string;
  @Column({ type: 'text' }) author!: string;
  @Column({ name: 'author_employee_id', type: 'uuid', nullable: true }) authorEmployeeId!: string | null;
  @Column({ name: 'revised_at', type: 'timestamptz' }) revisedAt!: Date;
}

/** The plans read model: each plan as it stands now. */
@Entity({ name: 'plans' })
export class PlanRow extends DocumentRow {
  @PrimaryColumn({ name: 'plan_id', type: 'uuid' }) id!: string;
}

@Entity({ name: 'plan_revisions' })
export class PlanRevisionRow extends DocumentRevisionRow {
  @PrimaryColumn({ name: 'plan_id', type: 'uuid' }) id!: string;
}

/** The decisions read model: each decision as it stands now. */
@Entity({ name: 'decisions' })
export class DecisionRow extends DocumentRow {
  @PrimaryColumn({ name: 'decision_id', type: 'uuid' }) id!: string;
}

@Entity({ name: 'decision_revisions' })
export class DecisionRevisionRow extends DocumentRevisionRow {
  @PrimaryColumn({ name: 'decision_id', type: 'uuid' }) id!: string;
}

export const planningEntities = [PlanRow, PlanRevisionRow, DecisionRow, DecisionRevisionRow];
