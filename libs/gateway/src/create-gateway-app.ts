import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PinoNestLogger } from '@autocoder/platform';
import { GatewayModule, type GatewayModuleOptions } from './gateway.module';

/** Largest request body the gateway reads; bigger ones get 413 PAYLOAD_TOO_LARGE. */
export const MAX_BODY_BYTES = 1024 * 1024;

/** The gateway's HTTP application: REST, GraphQL and its websocket; `extraModules` run in the same app. */
export async function createGatewayApp(options: GatewayModuleOptions, extraModules: unknown[] = []): Promise<INestApplication> {
  const { Module } = await import('@nestjs/common');
  @Module({ imports: [GatewayModule.forRoot(options), ...(extraModules as never[])] })
  class GatewayAppModule {}
  const app = await NestFactory.create<NestExpressApplication>(GatewayAppModule, {
    logger: new PinoNestLogger(options.logger),
    bodyParser: false,
  });
  app.useBodyParser('json', { limit: MAX_BODY_BYTES });
  app.enableShutdownHooks();
  return app;
}
