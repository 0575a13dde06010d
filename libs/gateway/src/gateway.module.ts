import type { MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import type { GraphQLFormattedError } from 'graphql';
import { Authenticator } from './auth/authenticator';
import { RequestContextMiddleware, type AuthenticatedRequest } from './auth/request-context.middleware';
import { AgentRevocations } from './auth/agent-revocations';
import { GATEWAY_PARTS, GATEWAY_RESOLVERS } from './gateway-parts';
import { DOCUMENT_RULES, PARSE_OPTIONS } from './graphql/document-limits';
import { createGraphQLErrorFormatter, showStackTraces } from './graphql/format-error';
import { CompiledQueriesPlugin } from './graphql/compiled-queries.plugin';
import { GRAPHQL_PATH, GraphQLWebSocketServer } from './graphql/graphql-websocket.server';
import { noStorePlugin } from './graphql/no-store.plugin';
import { serviceCallCostPlugin } from './graphql/service-call-cost.plugin';
import { RestExceptionFilter } from './rest/rest-exception.filter';
import { GATEWAY_LOGGER, GATEWAY_SETTINGS, MESSAGE_BUS, type GatewaySettings } from './tokens';
import { WebSocketUpgrades } from './websocket-upgrades';

export interface GatewayModuleOptions extends GatewaySettings {
  bus: MessageBus;
  logger: Logger;
  /** Where to write the generated schema; `true` keeps it in memory (the default at run time). */
  schemaFile?: string | true;
}

@Module({})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(RequestContextMiddleware).forRoutes('*');
  }

  static forRoot(options: GatewayModuleOptions): DynamicModule {
    const formatError = createGraphQLErrorFormatter(options.logger);
    const shared = [
      { provide: MESSAGE_BUS, useValue: options.bus },
      { provide: GATEWAY_LOGGER, useValue: options.logger },
      { provide: GATEWAY_SETTINGS, useValue: { adminToken: options.adminToken } satisfies GatewaySettings },
      AgentRevocations,
      ...GATEWAY_PARTS.flatMap((part) => part.clients),
      Authenticator,
    ];
    return {
      module: GatewayModule,
      global: true,
      imports: [
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          useFactory: () => ({
            autoSchemaFile: options.schemaFile ?? true,
            sortSchema: true,
            path: GRAPHQL_PATH,
            playground: false,
            introspection: true,
            // Bounded before anything runs: graphql-js stops parsing at maxTokens; Armor's rules check the rest.
            parseOptions: PARSE_OPTIONS,
            validationRules: DOCUMENT_RULES,
            allowBatchedHttpRequests: false,
            includeStacktraceInErrorResponses: showStackTraces(),
            // No per-field hooks: the cache-control plugin's header is set by noStorePlugin instead.
            plugins: [serviceCallCostPlugin, ApolloServerPluginCacheControlDisabled(), noStorePlugin],
            formatError: (formatted: GraphQLFormattedError, error: unknown) => formatError(formatted, error),
            // The websocket is GraphQLWebSocketServer's (frame cap, per-operation authentication).
            context: (arg: { req?: AuthenticatedRequest }) => ({ actor: arg.req?.actor }),
          }),
        }),
      ],
      controllers: GATEWAY_PARTS.flatMap((part) => part.controllers),
      providers: [
        ...shared,
        ...GATEWAY_RESOLVERS,
        ...GATEWAY_PARTS.flatMap((part) => part.providers ?? []),
        WebSocketUpgrades,
        GraphQLWebSocketServer,
        CompiledQueriesPlugin,
        { provide: APP_FILTER, useClass: RestExceptionFilter },
      ],
      exports: shared,
    };
  }
}
