import { TaskPriorities, TaskStatuses } from '@autocoder/contracts';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as Record<Uppercase<T>, T>;

export const TaskStatusEnum = enumOf(TaskStatuses);
export const TaskPriorityEnum = enumOf(TaskPriorities);
registerEnumType(TaskStatusEnum, { name: 'TaskStatus', description: 'backlog -> ready -> claimed -> in_progress -> review -> done; blocked and canceled from any open state.' });
registerEnumType(TaskPriorityEnum, { name: 'TaskPriority', description: 'P0 is the most urgent.' });

@ObjectType('Task')
export class TaskType {
  @Field(() => ID) taskId!: string;
  @Field(() => ID) projectId!: string;
  @Field() title!: string;
  @Field() description!: string;
  @Field() requiredSpecializationCode!: string;
  @Field(() => ID) createdBy!: string;
  @Field(() => TaskPriorityEnum) priority!: string;
  @Field(() => [ID]) dependsOn!: string[];
  @Field(() => TaskStatusEnum) status!: string;
  @Field(() => String, { nullable: true }) blocker!: string | null;
  @Field(() => ID, { nullable: true, description: 'Employee id of the lease holder.' }) assigneeId!: string | null;
  @Field(() => ID, { nullable: true }) assigneeAgentId!: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 8601, UTC.' }) leaseExpiresAt!: string | null;
  @Field(() => Int, { nullable: true, description: 'Grows with every claim; pass it back to prove you hold the current lease.' }) fencingToken!: number | null;
  @Field({ description: 'The holder claimed it without the required specialization.' }) claimOverride!: boolean;
  @Field({ description: 'ISO 8601, UTC.' }) createdAt!: string;
  @Field({ description: 'ISO 8601, UTC.' }) updatedAt!: string;
  @Field(() => Int) revision!: number;
}

@InputType()
export class CreateTaskInput {
  @Field(() => ID) projectId!: string;
  @Field() title!: string;
  @Field({ nullable: true }) description?: string;
  @Field() requiredSpecializationCode!: string;
  @Field(() => ID) createdBy!: string;
  @Field(() => TaskPriorityEnum, { nullable: true }) priority?: string;
  @Field(() => [ID], { nullable: true }) dependsOn?: string[];
  @Field(() => TaskStatusEnum, { nullable: true, description: 'BACKLOG or READY (the default).' }) status?: string;
}

@InputType()
export class TaskFilter {
  @Field(() => TaskStatusEnum, { nullable: true }) status?: string;
  @Field(() => ID, { nullable: true }) projectId?: string;
  @Field({ nullable: true }) specialization?: string;
  @Field(() => ID, { nullable: true }) assigneeId?: string;
  @Field(() => Int, { nullable: true, description: 'Most tasks in the answer: 1 to 1000, default 500.' }) limit?: number;
}

@ObjectType()
export class ClaimPayload {
  @Field(() => TaskType) task!: TaskType;
  @Field() leaseExpiresAt!: string;
  @Field(() => Int) fencingToken!: number;
}

@ObjectType()
export class TaskHeartbeatPayload {
  @Field(() => ID) taskId!: string;
  @Field() leaseExpiresAt!: string;
  @Field(() => Int) fencingToken!: number;
}
