import { AutocoderError, ErrorCodes, type Actor, type MessageView } from '@autocoder/contracts';
import type { OnModuleDestroy } from '@nestjs/common';
import { Args, Context, ID, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import { PubSub } from 'graphql-subscriptions';
import { CollaborationClient } from '../collaboration-client';
import { sharedRows } from '../renderings';
import type { GraphQLContext } from './agents.resolver';
import { MessageFilter, MessageType, PostMessageInput } from './message.types';

const MESSAGE_POSTED = 'messagePosted';

export const actorOf = (ctx: GraphQLContext): Actor => {
  if (!ctx.actor) throw new AutocoderError(ErrorCodes.Unauthenticated, 'a valid bearer token is required');
  return ctx.actor;
};
/** Drops nulls GraphQL passes for omitted optional fields, so the contract defaults apply. */
export const defined = (input: object | undefined | null) => Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v !== undefined && v !== null));
export const commandIdArg = { type: () => ID, nullable: true, description: 'A key naming this command (a UUID or any 1-255 visible ASCII characters): a retry with it gets the first answer.' };

type MessagePostedArgs = { threadId?: string | null; projectId?: string | null; taskId?: string | null };

const matches = (message: MessageView, args: MessagePostedArgs) =>
  (!args.threadId || message.threadId === args.threadId) && (!args.projectId || message.projectId === args.projectId) && (!args.taskId || message.taskId === args.taskId);

@Resolver(() => MessageType)
export class MessagesResolver implements OnModuleDestroy {
  private readonly pubsub = new PubSub<{ [MESSAGE_POSTED]: { messagePosted: MessageView } }>();
  private readonly unsubscribe: () => void;
  private readonly lists = sharedRows<MessageView>();

  constructor(private readonly client: CollaborationClient) {
    // One bus subscription per gateway process fans out to every open GraphQL subscription.
    this.unsubscribe = client.onMessagePosted((message) => void this.pubsub.publish(MESSAGE_POSTED, { messagePosted: message }));
  }

  onModuleDestroy() {
    this.unsubscribe();
  }

  @Query(() => [MessageType], { description: 'Chat messages by thread, project and/or task, oldest first.' })
  async messages(@Context() ctx: GraphQLContext, @Args('filter', { type: () => MessageFilter }) filter: MessageFilter) {
    return this.lists.of(await this.client.listMessagesJson(actorOf(ctx), defined(filter)));
  }

  @Mutation(() => MessageType, { description: 'Agents post as themselves; the admin as any sender.' })
  postMessage(@Context() ctx: GraphQLContext, @Args('input') input: PostMessageInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.postMessage(actorOf(ctx), defined(input), commandId);
  }

  @Subscription(() => MessageType, {
    description: 'Every message once it is in the read model; all given arguments must match.',
    filter: (payload: { messagePosted: MessageView }, args: MessagePostedArgs) => matches(payload.messagePosted, args),
  })
  messagePosted(
    @Context() ctx: GraphQLContext,
    @Args('threadId', { type: () => ID, nullable: true }) _threadId?: string,
    @Args('projectId', { type: () => ID, nullable: true }) _projectId?: string,
    @Args('taskId', { type: () => ID, nullable: true }) _taskId?: string,
  ) {
    actorOf(ctx);
    return this.pubsub.asyncIterableIterator(MESSAGE_POSTED);
  }
}
