import { ProjectIdInput, parseInput, type BudgetScope, type BudgetView, type ProjectView, type RunView, type UsageUpdated } from '@autocoder/contracts';
import type { OnModuleDestroy } from '@nestjs/common';
import { Args, Context, ID, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { PubSub } from 'graphql-subscriptions';
import type { GraphQLContext } from '../graphql/agents.resolver';
import { actorOf, commandIdArg } from '../graphql/messages.resolver';
import { RunnerClient } from '../runner/runner-client';
import { ProjectType, RunType } from '../runner/runner.types';
import { BudgetTargets } from './budget-targets';
import { sumTotals } from './usage-rest';
import { UsageClient } from './usage-client';
import {
  AllUsageType,
  BudgetType,
  ProjectUsageType,
  UsageTotalsType,
  SetBudgetInput,
  UsageBucketEnum,
  UsageEstimateType,
  UsageSeriesPointType,
  UsageUpdateType,
} from './usage.types';

const USAGE_UPDATED = 'usageUpdated';
const BUDGET_ALERT = 'budgetAlert';
type Events = {
  [USAGE_UPDATED]: { usageUpdated: UsageUpdated };
  [BUDGET_ALERT]: { budgetAlert: BudgetView };
};
const timeArg = (what: string) => ({ nullable: true, description: `${what}: ISO 8601 with a time zone.` });

/** Absent arguments as absent, not null, so the contracts' defaults apply. */
const given = (input: Record<string, unknown>) => Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null));

/**
 * Usage, budgets and estimates in GraphQL. One bus subscription per notification and gateway process,
 * fanned out to every open GraphQL subscription: the live cost badge is pushed as the usage service
 * publishes each call's new totals, never polled.
 */
@Resolver(() => ProjectUsageType)
export class UsageResolver implements OnModuleDestroy {
  private readonly pubsub = new PubSub<Events>();
  private readonly unsubscribe: (() => void)[];

  constructor(
    private readonly usage: UsageClient,
    private readonly runner: RunnerClient,
    private readonly budgetTargets: BudgetTargets,
  ) {
    this.unsubscribe = [
      usage.onUsageUpdated((update) => void this.pubsub.publish(USAGE_UPDATED, { usageUpdated: update })),
      usage.onBudgetAlert((budget) => void this.pubsub.publish(BUDGET_ALERT, { budgetAlert: budget })),
    ];
  }

  onModuleDestroy() {
    for (const stop of this.unsubscribe) stop();
  }

  @Query(() => ProjectUsageType, { description: "A project's usage: totals with every bucket and the cost, by feature, session, run, model and day." })
  async projectUsage(
    @Context() ctx: GraphQLContext,
    @Args('projectId', { type: () => ID }) projectId: string,
    @Args('from', timeArg('Calls from')) from?: string,
    @Args('to', timeArg('Calls before')) to?: string,
  ) {
    const actor = actorOf(ctx);
    const [, usage] = await Promise.all([this.runner.getProject(actor, projectId), this.usage.projectUsage(actor, given({ projectId, from, to }))]);
    return usage;
  }

  @Query(() => AllUsageType, { name: 'usage', description: "Every project's totals, most expensive first, and their sum." })
  async allUsage(@Context() ctx: GraphQLContext) {
    const byProject = await this.usage.allUsage(actorOf(ctx));
    return { totals: sumTotals(byProject), byProject };
  }

  @Query(() => [UsageSeriesPointType], { description: "Usage per hour or day, oldest first, for charts; a project's, or every project's without projectId." })
  usageSeries(
    @Context() ctx: GraphQLContext,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
    @Args('bucket', { type: () => UsageBucketEnum, nullable: true, defaultValue: 'day' }) bucket?: string,
    @Args('from', timeArg('Points from')) from?: string,
    @Args('to', timeArg('Points before')) to?: string,
  ) {
    return this.usage.series(actorOf(ctx), given({ projectId, bucket, from, to }));
  }

  @Query(() => [BudgetType], { description: "A project's budgets: its own, its runs' and its features'." })
  budgets(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    return this.usage.budgets(actorOf(ctx), projectId);
  }

  @Query(() => UsageEstimateType, { description: 'Estimated cost, tokens and time of the remaining features, from the completed ones.' })
  estimate(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    return this.usage.estimate(actorOf(ctx), projectId);
  }

  @Mutation(() => BudgetType, { description: 'Admin only: sets (or clears, with null) the soft threshold and hard limit of a project, run or feature budget.' })
  setBudget(@Context() ctx: GraphQLContext, @Args('input') input: SetBudgetInput, @Args('commandId', commandIdArg) commandId?: string) {
    const limits = Object.fromEntries(Object.entries({ softUsd: input.softUsd, hardUsd: input.hardUsd }).filter(([, v]) => v !== undefined));
    return this.budgetTargets.set(actorOf(ctx), input.scope as BudgetScope, input.scopeId, input.projectId ?? undefined, limits, commandId);
  }

  @Subscription(() => UsageUpdateType, {
    description: "A project's new totals after each priced call (the live cost badge), pushed as the usage service records it. At most once: the projectUsage query is the truth.",
    filter: (payload: Events[typeof USAGE_UPDATED], args: { projectId: string }) => payload.usageUpdated?.projectId === args.projectId,
  })
  usageUpdated(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    actorOf(ctx);
    parseInput(ProjectIdInput, { projectId }, 'project id');
    return this.pubsub.asyncIterableIterator(USAGE_UPDATED);
  }

  @Subscription(() => BudgetType, {
    description: "A budget of the project (its own, a run's or a feature's) passed its soft threshold or reached its hard limit.",
    filter: (payload: Events[typeof BUDGET_ALERT], args: { projectId: string }) => payload.budgetAlert?.projectId === args.projectId,
  })
  budgetAlert(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    actorOf(ctx);
    parseInput(ProjectIdInput, { projectId }, 'project id');
    return this.pubsub.asyncIterableIterator(BUDGET_ALERT);
  }
}

/** A project's usage beside its other fields: one service call per project listed. */
@Resolver(() => ProjectType)
export class ProjectUsageResolver {
  constructor(private readonly usage: UsageClient) {}

  @ResolveField('usage', () => ProjectUsageType, { description: 'Its usage: totals and breakdowns.', complexity: 1 })
  projectUsage(@Context() ctx: GraphQLContext, @Parent() project: ProjectView) {
    return this.usage.projectUsage(actorOf(ctx), { projectId: project.projectId });
  }
}

/** A run's cost beside its token counts: one service call per run listed; null (with an error) when the usage service does not answer. */
@Resolver(() => RunType)
export class RunCostResolver {
  constructor(private readonly usage: UsageClient) {}

  @ResolveField('cost', () => UsageTotalsType, { nullable: true, description: "Its calls' exact cost; null, with an error saying why, when the usage service does not answer.", complexity: 1 })
  runCost(@Context() ctx: GraphQLContext, @Parent() run: RunView) {
    return this.usage.runCost(actorOf(ctx), run.runId);
  }
}
