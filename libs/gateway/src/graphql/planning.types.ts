import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';

@ObjectType('DocumentRevision', { description: 'One kept revision of a plan or decision; revision 1 is the first version.' })
export class DocumentRevisionType {
  @Field(() => Int) revision!: number;
  @Field() title!: string;
  @Field() bodyMarkdown!: string;
  @Field({ description: 'Actor label: admin or agent:<agentId>.' }) author!: string;
  @Field(() => ID, { nullable: true }) authorEmployeeId!: string | null;
  @Field({ description: 'ISO 8601, UTC.' }) at!: string;
}

@ObjectType({ isAbstract: true })
abstract class DocumentFields {
  @Field(() => ID) projectId!: string;
  @Field() title!: string;
  @Field() bodyMarkdown!: string;
  @Field(() => Int, { description: 'Number of the current revision (1 after creation).' }) revision!: number;
  @Field() createdBy!: string;
  @Field({ description: 'ISO 8601, UTC.' }) createdAt!: string;
  @Field() updatedBy!: string;
  @Field({ description: 'ISO 8601, UTC.' }) updatedAt!: string;
  revisions?: DocumentRevisionType[];
}

@ObjectType('Plan')
export class PlanType extends DocumentFields {
  @Field(() => ID) planId!: string;
}

@ObjectType('Decision')
export class DecisionType extends DocumentFields {
  @Field(() => ID) decisionId!: string;
}

@InputType()
export class CreatePlanInput {
  @Field(() => ID) projectId!: string;
  @Field({ description: '1-300 characters.' }) title!: string;
  @Field({ description: 'Markdown, at most 200 KiB.' }) bodyMarkdown!: string;
}

@InputType({ description: 'A new title, a new body or both.' })
export class RevisePlanInput {
  @Field(() => ID) planId!: string;
  @Field({ nullable: true }) title?: string;
  @Field({ nullable: true }) bodyMarkdown?: string;
  @Field(() => Int, { nullable: true, description: 'The revision the change was made on: refused if the plan was revised since.' })
  expectedRevision?: number;
}

@InputType()
export class RecordDecisionInput {
  @Field(() => ID) projectId!: string;
  @Field({ description: '1-300 characters.' }) title!: string;
  @Field({ description: 'Markdown, at most 200 KiB.' }) bodyMarkdown!: string;
}

@InputType({ description: 'A new title, a new body or both.' })
export class ReviseDecisionInput {
  @Field(() => ID) decisionId!: string;
  @Field({ nullable: true }) title?: string;
  @Field({ nullable: true }) bodyMarkdown?: string;
  @Field(() => Int, { nullable: true, description: 'The revision the change was made on: refused if the decision was revised since.' })
  expectedRevision?: number;
}
