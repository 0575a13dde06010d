import { BudgetScopes } from '@autocoder/contracts';
import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { TokenUsageType } from '../runner/runner.types';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as Record<Uppercase<T>, T>;

export const BudgetScopeEnum = enumOf(BudgetScopes);
export const UsageBucketEnum = enumOf(['hour', 'day'] as const);
export const EstimateBasisEnum = enumOf(['project', 'all_projects', 'none'] as const);
registerEnumType(BudgetScopeEnum, { name: 'BudgetScope', description: 'What a budget limits: a whole project, one run, or one feature.' });
registerEnumType(UsageBucketEnum, { name: 'UsageBucket', description: 'The width of a usage series point (UTC hours or days).' });
registerEnumType(EstimateBasisEnum, { name: 'EstimateBasis', description: "Where an estimate's per-feature averages come from." });

/** Money is never a Float: a float cannot hold most decimal amounts, and sums of them drift. */
const USD = 'US dollars as an exact decimal string (e.g. "0.012345"), never rounded: parse it with a decimal type, not a float.';
const usd = (what: string) => ({ description: `${what}: ${USD}` });

@ObjectType('UsageTotals', { description: 'Calls, tokens by bucket and their exact cost.' })
export class UsageTotalsType {
  @Field(() => Int) calls!: number;
  @Field(() => TokenUsageType) usage!: TokenUsageType;
  @Field(usd('The cost')) costUsd!: string;
  @Field(() => Int, { description: 'Calls priced at the fallback price because their model is not in the price table: above 0, part of the cost is a stand-in.' })
  unknownModelCalls!: number;
}

@ObjectType('UsageBreakdownRow', { description: 'Usage of one feature, session, run, model, project or day.' })
export class UsageBreakdownRowType extends UsageTotalsType {
  @Field({ description: 'The id (a feature, session, run or project id), the model id, or the UTC day (YYYY-MM-DD).' }) key!: string;
  @Field(() => String, { nullable: true, description: "A readable name where there is one (a feature's name)." }) label!: string | null;
}

@ObjectType('ProjectUsage', { description: "A project's usage: totals and breakdowns." })
export class ProjectUsageType {
  @Field(() => ID) projectId!: string;
  @Field(() => UsageTotalsType) totals!: UsageTotalsType;
  @Field(() => [UsageBreakdownRowType]) byFeature!: UsageBreakdownRowType[];
  @Field(() => [UsageBreakdownRowType]) bySession!: UsageBreakdownRowType[];
  @Field(() => [UsageBreakdownRowType]) byRun!: UsageBreakdownRowType[];
  @Field(() => [UsageBreakdownRowType]) byModel!: UsageBreakdownRowType[];
  @Field(() => [UsageBreakdownRowType], { description: 'UTC days of the calls.' }) byDay!: UsageBreakdownRowType[];
  @Field(() => [Int], { description: 'Price table versions the calls were priced with.' }) priceVersions!: number[];
}

@ObjectType('ProjectTotals', { description: "One project's totals." })
export class ProjectTotalsType extends UsageTotalsType {
  @Field(() => ID) projectId!: string;
}

@ObjectType('AllUsage', { description: "Every project's usage together." })
export class AllUsageType {
  @Field(() => UsageTotalsType, { description: "Every project's totals added up." }) totals!: UsageTotalsType;
  @Field(() => [ProjectTotalsType], { description: 'Most expensive first.' }) byProject!: ProjectTotalsType[];
}

@ObjectType('UsageSeriesPoint', { description: 'Usage within one hour or day, for charts.' })
export class UsageSeriesPointType extends UsageTotalsType {
  @Field({ description: 'Where the bucket starts: ISO 8601, UTC.' }) at!: string;
}

@ObjectType('Budget', { description: 'A soft threshold warns; a hard limit stops spending (the runs it covers pause).' })
export class BudgetType {
  @Field(() => BudgetScopeEnum) scope!: string;
  @Field(() => ID) scopeId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => String, { nullable: true, ...usd('The soft threshold (null: none)') }) softUsd!: string | null;
  @Field(() => String, { nullable: true, ...usd('The hard limit (null: none)') }) hardUsd!: string | null;
  @Field(usd('Spent so far')) spentUsd!: string;
  @Field(usd('Held for calls under way')) reservedUsd!: string;
  @Field({ description: 'Past its soft threshold.' }) warned!: boolean;
  @Field({ description: 'At its hard limit: calls it covers are refused.' }) exhausted!: boolean;
}

@ObjectType('UsageEstimate', { description: 'Estimated cost, tokens and time of the remaining features, with how it was computed.' })
export class UsageEstimateType {
  @Field(() => ID) projectId!: string;
  @Field(() => Int) remainingFeatures!: number;
  @Field(usd('The estimated cost')) estimatedCostUsd!: string;
  @Field(() => Float) estimatedTokens!: number;
  @Field(() => Float) estimatedSeconds!: number;
  @Field(() => EstimateBasisEnum) basis!: string;
  @Field(() => Int, { description: 'How many completed features the averages rest on.' }) basedOnFeatures!: number;
  @Field({ description: 'How it was computed, in words.' }) method!: string;
}

@ObjectType('UsageUpdate', { description: "A project's new totals after a priced call: what the live cost badge shows." })
export class UsageUpdateType {
  @Field(() => ID) projectId!: string;
  @Field(() => UsageTotalsType) totals!: UsageTotalsType;
  @Field(() => ID, { description: 'The call that moved them.' }) callId!: string;
  @Field({ description: 'When that call completed: ISO 8601, UTC.' }) calledAt!: string;
}

@InputType()
export class SetBudgetInput {
  @Field(() => BudgetScopeEnum) scope!: string;
  @Field(() => ID, { description: 'The project, run or feature.' }) scopeId!: string;
  @Field(() => ID, { nullable: true, description: "The project a feature belongs to (needed for a feature; a run's is looked up)." }) projectId?: string | null;
  @Field(() => String, { nullable: true, description: `The soft threshold, ${USD} Omitted: unchanged; null: cleared.` }) softUsd?: string | null;
  @Field(() => String, { nullable: true, description: `The hard limit, ${USD} Omitted: unchanged; null: cleared.` }) hardUsd?: string | null;
}
