import { ProjectIdInput, RunIdInput, parseInput, type FeatureView, type ModelUsage, type ProjectView, type RunTimelineEntry, type RunView, type SessionView } from '@autocoder/contracts';
import type { OnModuleDestroy } from '@nestjs/common';
import { Args, Context, Float, ID, Int, Mutation, Parent, Query, ResolveField, Resolver, Subscription } from '@nestjs/graphql';
import { PubSub } from 'graphql-subscriptions';
import type { GraphQLContext } from '../graphql/agents.resolver';
import { actorOf, commandIdArg, defined } from '../graphql/messages.resolver';
import { RunnerClient } from './runner-client';
import {
  FeatureSyncResultType,
  FeatureType,
  ProjectType,
  RegisterProjectInput,
  RunEventPageType,
  RunEventType,
  RunType,
  SessionType,
  StartRunInput,
  TokenUsageType,
  UpdateProjectInput,
} from './runner.types';

const RUN_EVENT_ADDED = 'runEventAdded';
const FEATURE_UPDATED = 'featureUpdated';
const RUN_UPDATED = 'runUpdated';
type Events = {
  [RUN_EVENT_ADDED]: { runEventAdded: RunTimelineEntry };
  [FEATURE_UPDATED]: { featureUpdated: FeatureView };
  [RUN_UPDATED]: { runUpdated: RunView };
};
const reasonArg = { nullable: true, description: 'Why, in a few words: kept on the run.' };

/** One bus subscription per notification and gateway process, fanned out to every open GraphQL subscription. */
@Resolver(() => ProjectType)
export class ProjectsResolver implements OnModuleDestroy {
  private readonly pubsub = new PubSub<Events>();
  private readonly unsubscribe: (() => void)[];

  constructor(private readonly client: RunnerClient) {
    this.unsubscribe = [
      client.onFeatureUpdated((feature) => void this.pubsub.publish(FEATURE_UPDATED, { featureUpdated: feature })),
      client.onRunTimeline((entry) => void this.pubsub.publish(RUN_EVENT_ADDED, { runEventAdded: entry })),
      client.onRunUpdated((run) => void this.pubsub.publish(RUN_UPDATED, { runUpdated: run })),
    ];
  }

  onModuleDestroy() {
    for (const stop of this.unsubscribe) stop();
  }

  @Query(() => [ProjectType], { description: 'Every registered project.' })
  projects(@Context() ctx: GraphQLContext) {
    return this.client.listProjects(actorOf(ctx));
  }

  @Query(() => ProjectType)
  project(@Context() ctx: GraphQLContext, @Args('id', { type: () => ID }) id: string) {
    return this.client.getProject(actorOf(ctx), id);
  }

  @Query(() => [FeatureType], { description: "A project's features in definition order." })
  features(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    return this.client.listFeatures(actorOf(ctx), projectId);
  }

  @Mutation(() => ProjectType, { description: 'Admin only.' })
  registerProject(@Context() ctx: GraphQLContext, @Args('input') input: RegisterProjectInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.registerProject(actorOf(ctx), defined(input), commandId);
  }

  @Mutation(() => ProjectType, { description: 'Admin only: a new name, spec or network setting.' })
  updateProject(@Context() ctx: GraphQLContext, @Args('input') input: UpdateProjectInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.updateProject(actorOf(ctx), defined(input), commandId);
  }

  @Mutation(() => FeatureSyncResultType, { description: "Admin only: imports the workspace's feature_list.json." })
  syncFeatures(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.syncFeatures(actorOf(ctx), { projectId }, commandId);
  }

  // One service call per project when listed: what the document cost model counts (service-call-cost.ts).
  @ResolveField('features', () => [FeatureType], { description: 'Its features in definition order.', complexity: 1 })
  projectFeatures(@Context() ctx: GraphQLContext, @Parent() project: ProjectView) {
    return this.client.listFeatures(actorOf(ctx), project.projectId);
  }

  @ResolveField('runs', () => [RunType], { description: 'Its runs.', complexity: 1 })
  projectRuns(@Context() ctx: GraphQLContext, @Parent() project: ProjectView) {
    return this.client.listRuns(actorOf(ctx), { projectId: project.projectId });
  }

  @Subscription(() => FeatureType, {
    description: "Every change to a project's features once it is in the read model.",
    filter: (payload: Events[typeof FEATURE_UPDATED], args: { projectId: string }) => payload.featureUpdated?.projectId === args.projectId,
  })
  featureUpdated(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    actorOf(ctx);
    parseInput(ProjectIdInput, { projectId }, 'project id');
    return this.pubsub.asyncIterableIterator(FEATURE_UPDATED);
  }

  @Subscription(() => RunEventType, {
    description: "Each new entry of a run's timeline, live (notifications are at most once: page sessionEvents or the SSE stream to be sure).",
    filter: (payload: Events[typeof RUN_EVENT_ADDED], args: { runId: string }) => payload.runEventAdded?.runId === args.runId,
  })
  runEventAdded(@Context() ctx: GraphQLContext, @Args('runId', { type: () => ID }) runId: string) {
    actorOf(ctx);
    parseInput(RunIdInput, { runId }, 'run id');
    return this.pubsub.asyncIterableIterator(RUN_EVENT_ADDED);
  }

  @Subscription(() => RunType, {
    description: 'Every change to a run (status, counts, tokens); all given arguments must match.',
    filter: (payload: Events[typeof RUN_UPDATED], args: { runId?: string | null; projectId?: string | null }) =>
      (!args.runId || payload.runUpdated?.runId === args.runId) && (!args.projectId || payload.runUpdated?.projectId === args.projectId),
  })
  runUpdated(
    @Context() ctx: GraphQLContext,
    @Args('runId', { type: () => ID, nullable: true }) _runId?: string,
    @Args('projectId', { type: () => ID, nullable: true }) _projectId?: string,
  ) {
    actorOf(ctx);
    return this.pubsub.asyncIterableIterator(RUN_UPDATED);
  }
}

@Resolver(() => RunType)
export class RunsResolver {
  constructor(private readonly client: RunnerClient) {}

  @Query(() => [RunType], { description: "A project's runs." })
  runs(@Context() ctx: GraphQLContext, @Args('projectId', { type: () => ID }) projectId: string) {
    return this.client.listRuns(actorOf(ctx), { projectId });
  }

  @Query(() => RunType)
  run(@Context() ctx: GraphQLContext, @Args('id', { type: () => ID }) id: string) {
    return this.client.getRun(actorOf(ctx), id);
  }

  @Query(() => [SessionType], { description: "A run's sessions, first first." })
  sessions(@Context() ctx: GraphQLContext, @Args('runId', { type: () => ID }) runId: string) {
    return this.client.listSessions(actorOf(ctx), runId);
  }

  @Query(() => RunEventPageType, { description: "A page of one session's timeline after a position (`after` is a seq; 0 for the start)." })
  sessionEvents(
    @Context() ctx: GraphQLContext,
    @Args('sessionId', { type: () => ID }) sessionId: string,
    @Args('after', { type: () => Int, nullable: true, defaultValue: 0 }) after: number,
    @Args('limit', { type: () => Int, nullable: true, description: '1 to 1000, default 500.' }) limit?: number | null,
  ) {
    return this.client.sessionTimeline(actorOf(ctx), sessionId, after ?? 0, limit ?? undefined);
  }

  @Mutation(() => RunType, { description: 'Admin only: starts a run of the project.' })
  startRun(@Context() ctx: GraphQLContext, @Args('input') input: StartRunInput, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.startRun(actorOf(ctx), defined(input), commandId);
  }

  @Mutation(() => RunType, { description: 'Admin only: the run stops after its current step and waits.' })
  pauseRun(@Context() ctx: GraphQLContext, @Args('runId', { type: () => ID }) runId: string, @Args('reason', reasonArg) reason?: string, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.pauseRun(actorOf(ctx), defined({ runId, reason }), commandId);
  }

  @Mutation(() => RunType, { description: 'Admin only.' })
  resumeRun(@Context() ctx: GraphQLContext, @Args('runId', { type: () => ID }) runId: string, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.resumeRun(actorOf(ctx), { runId }, commandId);
  }

  @Mutation(() => RunType, { description: 'Admin only: the run ends for good.' })
  stopRun(@Context() ctx: GraphQLContext, @Args('runId', { type: () => ID }) runId: string, @Args('reason', reasonArg) reason?: string, @Args('commandId', commandIdArg) commandId?: string) {
    return this.client.stopRun(actorOf(ctx), defined({ runId, reason }), commandId);
  }

  @ResolveField('sessions', () => [SessionType], { description: 'Its sessions, first first.', complexity: 1 })
  runSessions(@Context() ctx: GraphQLContext, @Parent() run: RunView): Promise<SessionView[]> {
    return this.client.listSessions(actorOf(ctx), run.runId);
  }

  @ResolveField('sessionCount', () => Int, { description: 'Sessions opened so far.' })
  sessionCount(@Parent() run: RunView) {
    return run.sessions;
  }
}

@Resolver(() => TokenUsageType)
export class TokenUsageResolver {
  @ResolveField('total', () => Float, { description: 'Every bucket added up.' })
  total(@Parent() usage: ModelUsage) {
    return usage.input + usage.output + usage.cacheWrite5m + usage.cacheWrite1h + usage.cacheRead;
  }
}
