import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { PinoNestLogger } from '@autocoder/platform';
import { GatewayModule, type GatewayModuleOptions } from './gateway.module';

import { MAX_BODY_BYTES } from './limits';

export { MAX_BODY_BYTES };

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
  // No enableShutdownHooks(): the processes' onShutdown closes the app on SIGTERM/SIGINT, and Nest's own
  // listener raced it (re-raising the signal once its hooks finished, which onShutdown took as a second
  // signal and exited with 1).
  return app;
}
