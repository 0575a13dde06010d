import { Field, Int, ObjectType } from '@nestjs/graphql';

@ObjectType()
export class ProjectionRebuild {
  @Field() name!: string;
  @Field(() => Int) eventsReplayed!: number;
  @Field(() => Int) rows!: number;
}

@ObjectType()
export class RebuildProjectionsPayload {
  @Field(() => [ProjectionRebuild]) projections!: ProjectionRebuild[];
}

@ObjectType({ description: 'The event a processor keeps failing on.' })
export class ProcessorFailure {
  @Field(() => Int) position!: number;
  @Field() stream!: string;
  @Field() type!: string;
  @Field(() => Int) attempts!: number;
  @Field() error!: string;
}

@ObjectType({ description: 'A projection (read model) or reactor (side effects) of a service, and where it is in the event log.' })
export class ProcessorStatusType {
  @Field() service!: string;
  @Field() name!: string;
  @Field({ description: 'projection or reactor' }) kind!: string;
  @Field({ description: 'running, standby (another instance holds it), retrying or stopped' }) state!: string;
  @Field(() => Int, { nullable: true, description: 'The last event it handled (global position).' }) position!: number | null;
  @Field(() => ProcessorFailure, { nullable: true }) failing!: ProcessorFailure | null;
}
