import { AgentReportedStatuses, AgentStatuses } from '@autocoder/contracts';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { JSONObjectScalar } from './json.scalar';

const enumOf = <T extends string>(values: readonly T[]) => Object.fromEntries(values.map((v) => [v.toUpperCase(), v])) as Record<Uppercase<T>, T>;

export const AgentStatusEnum = enumOf(AgentStatuses);
export const AgentReportedStatusEnum = enumOf(AgentReportedStatuses);
registerEnumType(AgentStatusEnum, { name: 'AgentStatus', description: 'REGISTERED: never heard from; OFFLINE: missed its heartbeats.' });
registerEnumType(AgentReportedStatusEnum, { name: 'AgentReportedStatus', description: 'What an agent may report in a heartbeat.' });

@ObjectType('Agent')
export class AgentType {
  @Field(() => ID) agentId!: string;
  @Field(() => ID) employeeId!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) endpointUrl!: string | null;
  @Field(() => [String]) specializationCodes!: string[];
  @Field(() => JSONObjectScalar) capabilities!: Record<string, unknown>;
  @Field(() => ID, { nullable: true }) ownerEmployeeId!: string | null;
  @Field(() => AgentStatusEnum) status!: string;
  @Field(() => JSONObjectScalar, { description: 'Metadata of the last heartbeat.' }) statusMetadata!: Record<string, unknown>;
  @Field(() => String, { nullable: true, description: 'ISO 8601, UTC.' }) lastHeartbeatAt!: string | null;
  @Field({ description: 'ISO 8601, UTC.' }) registeredAt!: string;
  @Field({ description: 'ISO 8601, UTC.' }) updatedAt!: string;
  @Field(() => Int, { description: 'Revision of the agent stream this view reflects.' }) revision!: number;
}

@InputType()
export class RegisterAgentInput {
  @Field(() => ID) employeeId!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) endpointUrl?: string | null;
  @Field(() => [String], { nullable: true }) specializationCodes?: string[];
  @Field(() => JSONObjectScalar, { nullable: true }) capabilities?: Record<string, unknown>;
  @Field(() => ID, { nullable: true }) ownerEmployeeId?: string | null;
}

@ObjectType()
export class RegisterAgentPayload {
  @Field(() => ID) agentId!: string;
  @Field(() => String, { nullable: true, description: 'Shown once; re-registering rotates it.' }) apiKey!: string | null;
  @Field(() => AgentType) agent!: AgentType;
}

@InputType()
export class AgentHeartbeatInput {
  @Field(() => ID) employeeId!: string;
  @Field(() => AgentReportedStatusEnum, { nullable: true }) status?: string;
  @Field(() => JSONObjectScalar, { nullable: true }) metadata?: Record<string, unknown>;
}

@ObjectType()
export class AgentHeartbeatPayload {
  @Field(() => ID) agentId!: string;
  @Field(() => AgentStatusEnum) status!: string;
  @Field(() => Int) nextHeartbeatSec!: number;
}

@InputType()
export class AgentFilter {
  @Field(() => AgentStatusEnum, { nullable: true }) status?: string;
  @Field({ nullable: true }) specialization?: string;
  @Field(() => ID, { nullable: true }) ownerEmployeeId?: string;
  @Field(() => Int, { nullable: true, description: 'Most agents in the answer: 1 to 1000, default 500.' }) limit?: number;
}
