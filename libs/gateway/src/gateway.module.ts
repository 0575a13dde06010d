import type { Actor } from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import type { Logger } from '@autocoder/platform';
import { ApolloDriver, type ApolloDriverConfig } from '@nestjs/apollo';
import { Module, type DynamicModule, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { Authenticator } from './auth/authenticator';
import { RequestContextMiddleware, type AuthenticatedRequest } from './auth/request-context.middleware';
import { GATEWAY_PARTS, GATEWAY_RESOLVERS } from './gateway-parts';
import { formatGraphQLError } from './graphql/format-error';
import { RestExceptionFilter } from './rest/rest-exception.filter';
import { GATEWAY_LOGGER, GATEWAY_SETTINGS, MESSAGE_BUS, type GatewaySettings } from './tokens';

export interface GatewayModuleOptions extends GatewaySettings {
  bus: MessageBus;
  logger: Logger;
  /** Where to write the generated schema; `true` keeps it in memory (the default at run time). */
  schemaFile?: string | true;
}

type WsContext = { connectionParams?: Readonly<Record<string, unknown>>; extra: unknown };

@Module({})
export class GatewayModule implements NestModule {
  configure(consumer: MiddlewareConsumer) {
    consumer.apply(RequestContextMiddleware).forRoutes('*');
  }

  static forRoot(options: GatewayModuleOptions): DynamicModule {
    const shared = [
      { provide: MESSAGE_BUS, useValue: options.bus },
      { provide: GATEWAY_LOGGER, useValue: options.logger },
      { provide: GATEWAY_SETTINGS, useValue: { adminToken: options.adminToken } satisfies GatewaySettings },
      ...GATEWAY_PARTS.flatMap((part) => part.clients),
      Authenticator,
    ];
    return {
      module: GatewayModule,
      global: true,
      imports: [
        GraphQLModule.forRootAsync<ApolloDriverConfig>({
          driver: ApolloDriver,
          inject: [Authenticator],
          useFactory: (authenticator: Authenticator) => ({
            autoSchemaFile: options.schemaFile ?? true,
            sortSchema: true,
            path: '/graphql',
            playground: false,
            introspection: true,
            formatError: formatGraphQLError,
            subscriptions: {
              'graphql-ws': {
                path: '/graphql',
                // A websocket carries its token in connectionParams: {"Authorization": "Bearer ..."}.
                onConnect: async (ctx: WsContext) => {
                  const params = ctx.connectionParams ?? {};
                  const header = params.Authorization ?? params.authorization;
                  try {
                    (ctx.extra as { actor?: Actor }).actor = await authenticator.authenticate(header);
                    return true;
                  } catch {
                    return false;
                  }
                },
              },
            },
            context: (arg: { req?: AuthenticatedRequest; extra?: { actor?: Actor } }) => ({
              actor: arg.req?.actor ?? arg.extra?.actor,
            }),
          }),
        }),
      ],
      controllers: GATEWAY_PARTS.flatMap((part) => part.controllers),
      providers: [...shared, ...GATEWAY_RESOLVERS, { provide: APP_FILTER, useClass: RestExceptionFilter }],
      exports: shared,
    };
  }
}
