import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { NestFactory } from '@nestjs/core';
import { printSchema, lexicographicSortSchema } from 'graphql';
import { AgentsResolver } from './graphql/agents.resolver';

/** The gateway's GraphQL schema as SDL, generated from the code-first resolvers (sorted, as served). */
export async function printGatewaySchema(): Promise<string> {
  const app = await NestFactory.create(GraphQLSchemaBuilderModule, { logger: false });
  await app.init();
  try {
    const factory = app.get(GraphQLSchemaFactory);
    const schema = await factory.create([AgentsResolver]);
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await app.close();
  }
}

/** Where the committed schema lives; a test fails when the code and this file disagree. */
export const SCHEMA_FILE = 'libs/gateway/schema.graphql';
