import { Args, Context, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { actorOf, type GraphQLContext } from '../graphql/agents.resolver';
import { ProcessorStatusType, RebuildProjectionsPayload } from './operations.types';
import { ServicesClient } from './services-client';

/** What an operator asks of every service at once: rebuild the read models, show the processors. */
@Resolver()
export class OperationsResolver {
  constructor(private readonly services: ServicesClient) {}

  @Mutation(() => RebuildProjectionsPayload, { description: 'Admin only. Empties the read models of every service and replays every event; reactors are not re-run.' })
  rebuildProjections(@Context() ctx: GraphQLContext, @Args('commandId', { type: () => ID, nullable: true }) commandId?: string) {
    return this.services.rebuildProjections(actorOf(ctx), commandId);
  }

  @Query(() => [ProcessorStatusType], { description: 'Admin only. Every projection and reactor of every service, with the event it is stuck on, if any.' })
  processors(@Context() ctx: GraphQLContext) {
    return this.services.processorStatus(actorOf(ctx));
  }
}
