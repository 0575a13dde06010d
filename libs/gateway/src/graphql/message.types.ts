import { Field, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import { JSONObjectScalar } from './json.scalar';

@ObjectType('Message', { description: 'A coordination chat message.' })
export class MessageType {
  @Field(() => ID) messageId!: string;
  @Field(() => ID) threadId!: string;
  @Field(() => ID, {
    nullable: true,
    description: "The thread's project: null until a message ties the thread to one (then its earlier messages show it too).",
  })
  projectId!: string | null;
  @Field(() => ID, { nullable: true }) taskId!: string | null;
  @Field(() => ID) senderId!: string;
  @Field({ description: 'A short code, e.g. task_update.' }) messageType!: string;
  @Field(() => JSONObjectScalar, { description: 'At most 64 KiB of JSON.' }) payload!: Record<string, unknown>;
  @Field({ description: 'ISO 8601, UTC; strictly increasing within a thread.' }) postedAt!: string;
  @Field(() => Int, { description: 'Zero-based place of the message in its thread.' }) sequence!: number;
}

@InputType({ description: 'At least one of threadId, projectId and taskId; all given must match.' })
export class MessageFilter {
  @Field(() => ID, { nullable: true }) threadId?: string;
  @Field(() => ID, { nullable: true }) projectId?: string;
  @Field(() => ID, { nullable: true }) taskId?: string;
  @Field({ nullable: true, description: 'Only messages posted strictly after this ISO 8601 time.' }) since?: string;
  @Field(() => Int, { nullable: true, description: 'Most messages answered (default 200, at most 1000), oldest first.' }) limit?: number;
}

@InputType()
export class PostMessageInput {
  @Field(() => ID) threadId!: string;
  @Field(() => ID, { nullable: true, description: "Ties a thread without a project to this one; must match the thread's project once it has one." })
  projectId?: string;
  @Field(() => ID, { nullable: true }) taskId?: string;
  @Field(() => ID, { description: "Agents post only as their own employee id; the admin as anyone." }) senderId!: string;
  @Field() messageType!: string;
  @Field(() => JSONObjectScalar) payload!: Record<string, unknown>;
}
