import { GraphQLSchemaBuilderModule, GraphQLSchemaFactory } from '@nestjs/graphql';
import { NestFactory } from '@nestjs/core';
import { printSchema, lexicographicSortSchema } from 'graphql';
import { GATEWAY_RESOLVERS } from './gateway-parts';

/** The gateway's GraphQL schema as SDL, generated from the code-first resolvers (sorted, as served). */
export async function printGatewaySchema(): Promise<string> {
  const app = await NestFactory.create(GraphQLSchemaBuilderModule, { logger: false });
  await app.init();
  try {
    const factory = app.get(GraphQLSchemaFactory);
    const schema = await factory.create(GATEWAY_RESOLVERS);
    return `${printSchema(lexicographicSortSchema(schema))}\n`;
  } finally {
    await app.close();
  }
}

/** Where the committed schema lives; a test fails when the code and this file disagree. */
export const SCHEMA_FILE = 'libs/gateway/schema.graphql';
