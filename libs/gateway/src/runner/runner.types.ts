import { FeatureStatuses, RunCompletionReasons, RunStatuses, RunStreamTypes, SessionKinds, SessionOutcomes } from '@autocoder/contracts';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JSONObjectScalar } from '../graphql/json.scalar';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as Record<Uppercase<T>, T>;

export const FeatureStatusEnum = enumOf(FeatureStatuses);
export const RunStatusEnum = enumOf(RunStatuses);
export const RunCompletionEnum = enumOf(RunCompletionReasons);
export const SessionKindEnum = enumOf(SessionKinds);
export const SessionOutcomeEnum = enumOf(SessionOutcomes);
export const RunEventTypeEnum = enumOf(RunStreamTypes);
registerEnumType(FeatureStatusEnum, { name: 'FeatureStatus', description: 'PASSING and SKIPPED are finished; FAILING may be tried again.' });
registerEnumType(RunStatusEnum, { name: 'RunStatus' });
registerEnumType(RunCompletionEnum, { name: 'RunCompletion', description: 'Why a run ended by itself.' });
registerEnumType(SessionKindEnum, { name: 'SessionKind' });
registerEnumType(SessionOutcomeEnum, { name: 'SessionOutcome' });
registerEnumType(RunEventTypeEnum, { name: 'RunEventType', description: "Seed 002's agent event types." });

@ObjectType('FeatureCounts', { description: 'Features of a project by status.' })
export class FeatureCountsType {
  @Field(() => Int) pending!: number;
  @Field(() => Int, { name: 'inProgress' }) in_progress!: number;
  @Field(() => Int) passing!: number;
  @Field(() => Int) failing!: number;
  @Field(() => Int) skipped!: number;
  @Field(() => Int) total!: number;
}

// Token counts are Float: a long run's cache reads pass 2^31 (GraphQL's Int) easily.
@ObjectType('TokenUsage', { description: 'Tokens by bucket, as the Messages API reports them.' })
export class TokenUsageType {
  @Field(() => Float) input!: number;
  @Field(() => Float) output!: number;
  @Field(() => Float) cacheWrite5m!: number;
  @Field(() => Float) cacheWrite1h!: number;
  @Field(() => Float) cacheRead!: number;
}

@ObjectType('Project')
export class ProjectType {
  @Field(() => ID) projectId!: string;
  @Field() name!: string;
  @Field({ description: 'The app spec the agents build from.' }) spec!: string;
  @Field({ description: 'The workspace folder on the runner.' }) path!: string;
  @Field(() => String, { nullable: true }) repositoryUrl!: string | null;
  @Field({ description: 'Whether commands in the sandbox may use the network.' }) network!: boolean;
  @Field(() => FeatureCountsType) featureCounts!: FeatureCountsType;
  @Field({ description: 'ISO 8601, UTC.' }) registeredAt!: string;
  @Field({ description: 'ISO 8601, UTC.' }) updatedAt!: string;
}

@ObjectType('FeatureEvidence', { description: 'What a passing mark rests on.' })
export class FeatureEvidenceType {
  @Field(() => String, { nullable: true }) command!: string | null;
  @Field(() => Int, { nullable: true }) exitCode!: number | null;
  @Field() outputTail!: string;
  @Field({ description: "The model's own words when it marked the feature." }) note!: string;
}

@ObjectType('Feature')
export class FeatureType {
  @Field(() => ID) featureId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => Int) index!: number;
  @Field() category!: string;
  @Field() name!: string;
  @Field() description!: string;
  @Field(() => [String]) steps!: string[];
  @Field(() => Int, { description: 'Lower runs first.' }) priority!: number;
  @Field(() => [ID]) dependsOn!: string[];
  @Field(() => FeatureStatusEnum) status!: string;
  @Field(() => ID, { description: 'The coordinator task a runner claims to work on it.' }) taskId!: string;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => FeatureEvidenceType, { nullable: true }) evidence!: FeatureEvidenceType | null;
  @Field({ description: 'Marked without the test gate (YOLO mode).' }) yolo!: boolean;
  @Field({ description: 'ISO 8601, UTC.' }) updatedAt!: string;
}

@ObjectType('RunLimits')
export class RunLimitsType {
  @Field(() => Int) maxSessions!: number;
  @Field(() => Int) maxTurnsPerSession!: number;
  @Field(() => Float, { description: 'Input plus output tokens over the run; 0 for no limit.' }) maxTokens!: number;
}

@ObjectType('Session', { description: 'One coding or initializer session of a run.' })
export class SessionType {
  @Field(() => ID) sessionId!: string;
  @Field(() => ID) runId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => Int, { description: '1-based within the run.' }) number!: number;
  @Field(() => SessionKindEnum) kind!: string;
  @Field(() => ID, { nullable: true }) featureId!: string | null;
  @Field(() => ID, { nullable: true }) taskId!: string | null;
  @Field() model!: string;
  @Field(() => Int) turns!: number;
  @Field(() => Int) toolCalls!: number;
  @Field(() => TokenUsageType) usage!: TokenUsageType;
  @Field(() => SessionOutcomeEnum, { nullable: true }) outcome!: string | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field({ description: 'ISO 8601, UTC.' }) startedAt!: string;
  @Field(() => String, { nullable: true, description: 'ISO 8601, UTC.' }) endedAt!: string | null;
}

@ObjectType('Run', { description: 'An agent run of a project: sessions until its features pass or a limit is reached.' })
export class RunType {
  @Field(() => ID) runId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => RunStatusEnum) status!: string;
  @Field({ description: 'The test gate is skipped.' }) yolo!: boolean;
  @Field() model!: string;
  @Field(() => RunLimitsType) limits!: RunLimitsType;
  @Field(() => Int) modelCalls!: number;
  @Field(() => Int) toolCalls!: number;
  @Field(() => FeatureCountsType) featureCounts!: FeatureCountsType;
  @Field(() => TokenUsageType) usage!: TokenUsageType;
  @Field(() => String, { nullable: true, description: 'Why it is paused, stopped, completed or failed.' }) reason!: string | null;
  @Field(() => RunCompletionEnum, { nullable: true }) completion!: string | null;
  @Field({ description: 'ISO 8601, UTC.' }) startedAt!: string;
  @Field({ description: 'ISO 8601, UTC.' }) updatedAt!: string;
  @Field(() => String, { nullable: true, description: 'ISO 8601, UTC.' }) endedAt!: string | null;
}

@ObjectType('RunEvent', { description: "One entry of a run's timeline: what the SSE stream and /ws deliver." })
export class RunEventType {
  @Field(() => Int, { description: 'Increasing per installation: the SSE id, and the position to page or resume after.' }) seq!: number;
  @Field(() => ID) runId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => ID, { nullable: true }) sessionId!: string | null;
  @Field(() => RunEventTypeEnum) type!: string;
  @Field({ description: 'The stored event it shows.' }) eventType!: string;
  @Field({ description: 'ISO 8601, UTC.' }) at!: string;
  @Field(() => JSONObjectScalar) data!: Record<string, unknown>;
}

@ObjectType('RunEventPage')
export class RunEventPageType {
  @Field(() => [RunEventType]) entries!: RunEventType[];
  @Field({ description: 'The run has ended: past the last entry, nothing more will come.' }) finished!: boolean;
}

@ObjectType('FeatureSyncResult')
export class FeatureSyncResultType {
  @Field(() => Int) imported!: number;
  @Field(() => Int) updated!: number;
  @Field(() => Int) unchanged!: number;
}

@InputType()
export class RegisterProjectInput {
  @Field({ description: '1-200 characters.' }) name!: string;
  @Field({ description: 'The app spec, at most 1 MiB.' }) spec!: string;
  @Field({ nullable: true, description: 'Absolute workspace path on the runner; default AUTOCODER_HOME/projects/<id>.' }) path?: string;
  @Field({ nullable: true, description: 'A repository to clone into the workspace.' }) repositoryUrl?: string;
  @Field({ nullable: true, description: 'Whether sandbox commands may use the network (default false).' }) network?: boolean;
}

@InputType()
export class UpdateProjectInput {
  @Field(() => ID) projectId!: string;
  @Field({ nullable: true }) name?: string;
  @Field({ nullable: true }) spec?: string;
  @Field({ nullable: true }) network?: boolean;
}

@InputType()
export class StartRunInput {
  @Field(() => ID) projectId!: string;
  @Field({ nullable: true, description: 'Skip the test gate; every passing mark says so.' }) yolo?: boolean;
  @Field({ nullable: true }) model?: string;
  @Field(() => Int, { nullable: true, description: '1 to 1000.' }) maxSessions?: number;
  @Field(() => Int, { nullable: true, description: '1 to 1000.' }) maxTurnsPerSession?: number;
  @Field(() => Float, { nullable: true, description: '0 for no limit.' }) maxTokens?: number;
}
