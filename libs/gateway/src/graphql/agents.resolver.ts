import { AutocoderError, ErrorCodes, type Actor, type AgentView } from '@autocoder/contracts';
import { Args, Context, ID, Mutation, Query, Resolver, Subscription } from '@nestjs/graphql';
import type { OnModuleDestroy } from '@nestjs/common';
import { PubSub } from 'graphql-subscriptions';
import { CoordinatorClient } from '../coordinator-client';
import { sharedRows } from '../renderings';
import {
  AgentFilter,
  AgentHeartbeatInput,
  AgentHeartbeatPayload,
  AgentType,
  RegisterAgentInput,
  RegisterAgentPayload,
} from './agent.types';

export interface GraphQLContext {
  actor?: Actor;
  commandId?: string | null;
}

const AGENT_UPDATED = 'agentUpdated';

export const actorOf = (ctx: GraphQLContext): Actor => {
  if (!ctx.actor) throw new AutocoderError(ErrorCodes.Unauthenticated, 'a valid bearer token is required');
  return ctx.actor;
};

/** Drops nulls GraphQL passes for omitted optional fields, so the contract defaults apply. */
const defined = (input: object | undefined | null) =>
  Object.fromEntries(Object.entries(input ?? {}).filter(([, v]) => v !== undefined && v !== null));

const matches = (agent: AgentView, filter?: AgentFilter | null) =>
  !filter ||
  ((!filter.status || agent.status === filter.status) &&
    (!filter.specialization || agent.specializationCodes.includes(filter.specialization)) &&
    (!filter.ownerEmployeeId || agent.ownerEmployeeId === filter.ownerEmployeeId));

@Resolver(() => AgentType)
export class AgentsResolver implements OnModuleDestroy {
  private readonly pubsub = new PubSub<{ [AGENT_UPDATED]: { agentUpdated: AgentView } }>();
  private readonly unsubscribe: () => void;
  private readonly lists = sharedRows<AgentView>();

  constructor(private readonly coordinator: CoordinatorClient) {
    // One bus subscription per gateway process fans out to every open GraphQL subscription.
    this.unsubscribe = coordinator.onAgentUpdated((agent) => void this.pubsub.publish(AGENT_UPDATED, { agentUpdated: agent }));
  }

  onModuleDestroy() {
    this.unsubscribe();
  }

  @Query(() => [AgentType], { description: 'Agents, optionally filtered (all filters must match).' })
  async agents(@Context() ctx: GraphQLContext, @Args('filter', { type: () => AgentFilter, nullable: true }) filter?: AgentFilter) {
    return this.lists.of(await this.coordinator.listAgentsJson(actorOf(ctx), defined(filter)));
  }

  @Query(() => AgentType)
  agent(@Context() ctx: GraphQLContext, @Args('agentId', { type: () => ID }) agentId: string) {
    return this.coordinator.getAgent(actorOf(ctx), agentId);
  }

  @Mutation(() => RegisterAgentPayload, { description: 'Admin only. Creates or updates the agent of an employee and issues a new API key.' })
  registerAgent(
    @Context() ctx: GraphQLContext,
    @Args('input') input: RegisterAgentInput,
    @Args('commandId', { type: () => ID, nullable: true, description: 'A UUID naming this command: a retry with it gets the first answer.' })
    commandId?: string,
  ) {
    return this.coordinator.registerAgent(actorOf(ctx), defined(input), commandId);
  }

  @Mutation(() => AgentHeartbeatPayload, { description: 'Agents only, for themselves.' })
  agentHeartbeat(
    @Context() ctx: GraphQLContext,
    @Args('input') input: AgentHeartbeatInput,
    @Args('commandId', { type: () => ID, nullable: true }) commandId?: string,
  ) {
    return this.coordinator.agentHeartbeat(actorOf(ctx), defined(input), commandId);
  }

  @Subscription(() => AgentType, {
    description: 'Every change to an agent once it is in the read model.',
    filter: (payload: { agentUpdated: AgentView }, variables: { filter?: AgentFilter }) => matches(payload.agentUpdated, variables.filter),
  })
  agentUpdated(@Context() ctx: GraphQLContext, @Args('filter', { type: () => AgentFilter, nullable: true }) _filter?: AgentFilter) {
    actorOf(ctx);
    return this.pubsub.asyncIterableIterator(AGENT_UPDATED);
  }
}

