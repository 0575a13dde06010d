import type { DecisionView, DocumentRevisionView, PlanView } from '@autocoder/contracts';
import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { CollaborationClient } from '../collaboration-client';
import type { GraphQLContext } from './agents.resolver';
import { actorOf, commandIdArg, defined } from './messages.resolver';
import { CreatePlanInput, DecisionType, DocumentRevisionType, PlanType, RecordDecisionInput, ReviseDecisionInput, RevisePlanInput } from './planning.types';

@Resolver(() => PlanType)
export class PlansResolver {
  constructor(private readonly client: CollaborationClient) {}

  @Query(() => [PlanType], { description: "A project's plans, oldest first." })
  plans(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    return this.client.listPlans(actorOf(ctx), { projectId });
  }

  @Query(() => PlanType)
  plan(@Context() ctx: GraphQLContext, @Args('planId', { type: () => ID }) planId: string) {
    return this.client.getPlan(actorOf(ctx), planId);
  }

  @Mutation(() => PlanType, { description: 'The admin or an agent; the author is who asks.' })
  createPlan(@Context() ctx: GraphQLContext, @Args('input') input: CreatePlanInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.createPlan(actorOf(ctx), defined(input), commandId);
  }

  @Mutation(() => PlanType, { description: 'Adds a revision; a change that changes nothing adds none.' })
  revisePlan(@Context() ctx: GraphQLContext, @Args('input') input: RevisePlanInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.revisePlan(actorOf(ctx), defined(input), commandId);
  }

  // One service call per plan when listed: what the document cost model counts (service-call-cost.ts).
  @ResolveField(() => [DocumentRevisionType], { description: 'Every revision, oldest first.', complexity: 1 })
  async revisions(@Context() ctx: GraphQLContext, @Parent() plan: PlanView): Promise<DocumentRevisionView[]> {
    return plan.revisions ?? (await this.client.getPlan(actorOf(ctx), plan.planId)).revisions ?? [];
  }
}

@Resolver(() => DecisionType)
export class DecisionsResolver {
  constructor(private readonly client: CollaborationClient) {}

  @Query(() => [DecisionType], { description: "A project's decisions, oldest first." })
  decisions(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    return this.client.listDecisions(actorOf(ctx), { projectId });
  }

  @Query(() => DecisionType)
  decision(@Context() ctx: GraphQLContext, @Args('decisionId', { type: () => ID }) decisionId: string) {
    return this.client.getDecision(actorOf(ctx), decisionId);
  }

  @Mutation(() => DecisionType, { description: 'The admin or an agent; the author is who asks.' })
  recordDecision(@Context() ctx: GraphQLContext, @Args('input') input: RecordDecisionInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.recordDecision(actorOf(ctx), defined(input), commandId);
  }

  @Mutation(() => DecisionType, { description: 'Adds a revision; a change that changes nothing adds none.' })
  reviseDecision(@Context() ctx: GraphQLContext, @Args('input') input: ReviseDecisionInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.reviseDecision(actorOf(ctx), defined(input), commandId);
  }

  @ResolveField(() => [DocumentRevisionType], { description: 'Every revision, oldest first.', complexity: 1 })
  async revisions(@Context() ctx: GraphQLContext, @Parent() decision: DecisionView): Promise<DocumentRevisionView[]> {
    return decision.revisions ?? (await this.client.getDecision(actorOf(ctx), decision.decisionId)).revisions ?? [];
  }
}
