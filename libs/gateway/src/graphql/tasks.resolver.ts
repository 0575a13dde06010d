import { AutocoderError, ErrorCodes, type Actor, type TaskView } from '@autocoder/contracts';
import type { OnModuleDestroy } from '@nestjs/common';
import { Args, Context, ID, Int, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { PubSub } from 'graphql-subscriptions';
import { sharedRows } from '../renderings';
import { TasksClient } from '../tasks-client';
import type { GraphQLContext } from './agents.resolver';
import { ClaimPayload, CreateTaskInput, TaskFilter, TaskHeartbeatPayload, TaskStatusEnum, TaskType } from './task.types';

const TASK_UPDATED = 'taskUpdated';

const actorOf = (ctx: GraphQLContext): Actor => {
  if (!ctx.actor) throw new AutocoderError(ErrorCodes.Unauthenticated, 'a valid bearer token is required');
  return ctx.actor;
};
/** Agents act as themselves: their employee id comes from their key, not from the query. */
const self = (actor: Actor) => (actor.kind === 'agent' ? { employeeId: actor.employeeId } : {});
const defined = (input: object | undefined | null) => Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v !== undefined && v !== null));

const matches = (task: TaskView, filter?: TaskFilter | null) =>
  !filter ||
  ((!filter.status || task.status === filter.status) &&
    (!filter.projectId || task.projectId === filter.projectId) &&
    (!filter.specialization || task.requiredSpecializationCode === filter.specialization) &&
    (!filter.assigneeId || task.assigneeId === filter.assigneeId));

const commandIdArg = { type: () => ID, nullable: true, description: 'A key naming this command (a UUID or any 1-255 visible ASCII characters): a retry with it gets the first answer.' };

@Resolver(() => TaskType)
export class TasksResolver implements OnModuleDestroy {
  private readonly pubsub = new PubSub<{ [TASK_UPDATED]: { taskUpdated: TaskView } }>();
  private readonly unsubscribe: () => void;
  private readonly lists = sharedRows<TaskView>();

  constructor(private readonly client: TasksClient) {
    this.unsubscribe = client.onTaskUpdated((task) => void this.pubsub.publish(TASK_UPDATED, { taskUpdated: task }));
  }

  onModuleDestroy() {
    this.unsubscribe();
  }

  @Query(() => [TaskType], { description: 'Tasks by priority then age, optionally filtered.' })
  async tasks(@Context() ctx: GraphQLContext, @Args('filter', { type: () => TaskFilter, nullable: true }) filter?: TaskFilter) {
    return this.lists.of(await this.client.listJson(actorOf(ctx), defined(filter)));
  }

  @Query(() => TaskType)
  task(@Context() ctx: GraphQLContext, @Args('taskId', { type: () => ID }) taskId: string) {
    return this.client.get(actorOf(ctx), taskId);
  }

  @Mutation(() => TaskType, { description: 'Admin only.' })
  createTask(@Context() ctx: GraphQLContext, @Args('input') input: CreateTaskInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.create(actorOf(ctx), defined(input), commandId);
  }

  @Mutation(() => ClaimPayload, { description: 'Agents only. Needs the task specialization unless override is true.' })
  claimTask(
    @Context() ctx: GraphQLContext,
    @Args('taskId', { type: () => ID }) taskId: string,
    @Args('leaseTtlSec', { type: () => Int, nullable: true }) leaseTtlSec?: number,
    @Args('override', { nullable: true }) override?: boolean,
    @Args('commandId', commandIdArg) commandId?: string,
  ) {
    const actor = actorOf(ctx);
    return this.client.claim(actor, defined({ taskId, leaseTtlSec, override, ...self(actor) }), commandId);
  }

  @Mutation(() => ClaimPayload, { nullable: true, description: 'Agents only: claims the best ready task for its specializations, or returns null.' })
  claimNextTask(
    @Context() ctx: GraphQLContext,
    @Args('leaseTtlSec', { type: () => Int, nullable: true }) leaseTtlSec?: number,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
    @Args('commandId', commandIdArg) commandId?: string,
  ) {
    const actor = actorOf(ctx);
    return this.client.claimNext(actor, defined({ leaseTtlSec, projectId, ...self(actor) }), commandId);
  }

  @Mutation(() => TaskHeartbeatPayload, { description: 'The lease holder extends its lease.' })
  taskHeartbeat(
    @Context() ctx: GraphQLContext,
    @Args('taskId', { type: () => ID }) taskId: string,
    @Args('fencingToken', { type: () => Int, nullable: true }) fencingToken?: number,
    @Args('commandId', commandIdArg) commandId?: string,
  ) {
    const actor = actorOf(ctx);
    return this.client.heartbeat(actor, defined({ taskId, fencingToken, ...self(actor) }), commandId);
  }

  @Mutation(() => TaskType, { description: 'The lease holder (or the admin) returns the task to ready.' })
  releaseTask(
    @Context() ctx: GraphQLContext,
    @Args('taskId', { type: () => ID }) taskId: string,
    @Args('reason', { nullable: true }) reason?: string,
    @Args('commandId', commandIdArg) commandId?: string,
  ) {
    const actor = actorOf(ctx);
    return this.client.release(actor, defined({ taskId, reason, ...self(actor) }), commandId);
  }

  @Mutation(() => TaskType, { description: 'The lease holder (or the admin) moves the task along the pipeline.' })
  changeTaskStatus(
    @Context() ctx: GraphQLContext,
    @Args('taskId', { type: () => ID }) taskId: string,
    @Args('status', { type: () => TaskStatusEnum }) status: string,
    @Args('reason', { nullable: true, description: 'Required when blocking: what blocks the task.' }) reason?: string,
    @Args('fencingToken', { type: () => Int, nullable: true }) fencingToken?: number,
    @Args('commandId', commandIdArg) commandId?: string,
  ) {
    const actor = actorOf(ctx);
    return this.client.changeStatus(actor, defined({ taskId, status, reason, fencingToken, ...self(actor) }), commandId);
  }

  @Subscription(() => TaskType, {
    description: 'Every change to a task once it is in the read model.',
    filter: (payload: { taskUpdated: TaskView }, variables: { filter?: TaskFilter }) => matches(payload.taskUpdated, variables.filter),
  })
  taskUpdated(@Context() ctx: GraphQLContext, @Args('filter', { type: () => TaskFilter, nullable: true }) _filter?: TaskFilter) {
    actorOf(ctx);
    return this.pubsub.asyncIterableIterator(TASK_UPDATED);
  }
}
