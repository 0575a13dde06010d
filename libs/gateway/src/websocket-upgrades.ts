import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

/**
 * The one listener for the HTTP server's upgrade requests, routing each by its path to the websocket
 * server that owns it (GraphQL on /graphql, the runner's feed on /ws/:projectId). A path no one owns
 * is refused: its socket is destroyed unread.
 */
@Injectable()
export class WebSocketUpgrades implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly routes: { owns: (path: string) => boolean; handle: UpgradeHandler }[] = [];
  private listener?: UpgradeHandler;

  constructor(private readonly adapterHost: HttpAdapterHost) {}

  route(owns: (path: string) => boolean, handle: UpgradeHandler) {
    this.routes.push({ owns, handle });
  }

  onApplicationBootstrap() {
    this.listener = (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      const route = this.routes.find((r) => r.owns(path));
      if (!route) return void socket.destroy();
      route.handle(req, socket, head);
    };
    this.server().on('upgrade', this.listener);
  }

  beforeApplicationShutdown() {
    if (this.listener) this.server().off('upgrade', this.listener);
  }

  private server() {
    return this.adapterHost.httpAdapter.getHttpServer() as Server;
  }
}
