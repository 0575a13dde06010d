import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { AutocoderError, ErrorCodes, httpStatusOf, type Actor, type RunTimelineEntry, type RunView } from '@autocoder/contracts';
import type { Logger } from '@autocoder/platform';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentRevocations } from '../auth/agent-revocations';
import { Authenticator } from '../auth/authenticator';
import { GATEWAY_LOGGER } from '../tokens';
import { WebSocketUpgrades } from '../websocket-upgrades';
import { streamPosition } from './agent-runs.controller';
import { RunnerClient } from './runner-client';
import { restEntry } from './runner-rest';
import { RUN_STREAM, RunTimelineFollower } from './run-timeline-follower';
import { RunTimelineWatch } from './run-timeline-watch';

/** `/ws/<projectId>`: seed 002's real-time events of a project. */
const PATH = /^\/ws\/([^/]+)$/;
const KEEP_ALIVE_MS = 12_000;
/** The client only listens: anything it sends is read and dropped, so a frame stays small. */
const MAX_FRAME_BYTES = 4096;

const live = (run: RunView) => run.status === 'running' || run.status === 'paused';

/**
 * The project feed on `/ws/:projectId`: every timeline entry of every run of the project, as JSON
 * messages `{id, type, data}` (the SSE stream's id, event and data). With `?after=<seq>` it replays
 * every run of the project after that position; without, the runs still going from their start, and
 * then each new run as it appears. Authenticated at the upgrade: `Authorization: Bearer <token>` or
 * `?token=<token>` (browsers cannot set headers on a websocket); a refusal is the HTTP answer itself.
 */
@Injectable()
export class RunWebSocketServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private wss?: WebSocketServer;
  /** Agents' open feeds with the authorization they were opened with: a rotated key closes them. */
  private readonly byAgent = new Map<string, Map<WebSocket, string>>();
  private stopListening?: () => void;

  constructor(
    private readonly upgrades: WebSocketUpgrades,
    private readonly authenticator: Authenticator,
    private readonly revocations: AgentRevocations,
    private readonly runner: RunnerClient,
    private readonly watch: RunTimelineWatch,
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap() {
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    this.wss = wss;
    this.upgrades.route(
      (path) => PATH.test(path),
      (req, socket, head) => void this.upgrade(req, socket, head, wss),
    );
    this.stopListening = this.revocations.listen((agentId, reason) => this.recheck(agentId, reason === 'offline'));
  }

  async beforeApplicationShutdown() {
    this.stopListening?.();
    const wss = this.wss;
    if (!wss) return;
    for (const client of wss.clients) client.close(1001, 'Going away');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, wss: WebSocketServer) {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://gateway');
    const projectId = decodeURIComponent(PATH.exec(url.pathname)![1]);
    let actor: Actor;
    let after: number | null;
    const token = url.searchParams.get('token');
    const authorization = req.headers.authorization ?? (token ? `Bearer ${token}` : undefined);
    try {
      actor = await this.authenticator.authenticate(authorization);
      after = url.searchParams.has('after') ? streamPosition(undefined, url.searchParams.get('after')) : null;
      await this.runner.getProject(actor, projectId);
    } catch (error) {
      return refuse(socket, error);
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (actor.kind === 'agent') this.remember(ws, actor.agentId, authorization!);
      this.feed(ws, actor, projectId, after);
    });
  }

  private remember(ws: WebSocket, agentId: string, authorization: string) {
    const sockets = this.byAgent.get(agentId) ?? new Map<WebSocket, string>();
    sockets.set(ws, authorization);
    this.byAgent.set(agentId, sockets);
    ws.once('close', () => {
      sockets.delete(ws);
      if (!sockets.size) this.byAgent.delete(agentId);
    });
  }

  /** After a sign that an agent's key changed: its feeds whose key no longer works are closed (4403, as graphql-ws's). */
  private async recheck(agentId: string, offline: boolean) {
    const sockets = this.byAgent.get(agentId);
    if (!sockets) return;
    if (!offline) this.authenticator.forget(agentId);
    await Promise.all(
      [...sockets].map(async ([ws, authorization]) => {
        if (offline) return ws.close(4403, 'the agent was marked offline; reconnect to go on');
        try {
          await this.authenticator.authenticate(authorization);
        } catch (error) {
          if (error instanceof AutocoderError && error.code === ErrorCodes.Unauthenticated) ws.close(4403, 'the key of this socket was rotated');
        }
      }),
    );
  }

  private feed(ws: WebSocket, actor: Actor, projectId: string, after: number | null) {
    const followers = new Map<string, RunTimelineFollower>();
    /** Where each run was read to, kept after its follower ended so a late wake-up replays nothing. */
    const positions = new Map<string, number>();
    let closed = false;

    const send = (entry: RunTimelineEntry) =>
      new Promise<void>((resolve) => {
        if (ws.readyState !== ws.OPEN) return resolve();
        ws.send(JSON.stringify({ id: entry.seq, type: entry.type, data: restEntry(entry) }), () => resolve());
      });
    const follow = (runId: string, from: number) => {
      if (closed || followers.has(runId)) return followers.get(runId)?.wake();
      const follower = new RunTimelineFollower({ client: this.runner, actor, runId, after: positions.get(runId) ?? from, deliver: send });
      followers.set(runId, follower);
      follower.done
        .catch((error) => this.logger.warn({ err: error, runId, projectId }, 'project feed stopped following a run'))
        .finally(() => {
          positions.set(runId, follower.position);
          followers.delete(runId);
        });
    };
    /** The project's runs: new ones are followed from their start, and on connect as `after` says. */
    const discover = async (first: boolean) => {
      try {
        const runs = await this.runner.listRuns(actor, { projectId });
        for (const run of runs) {
          if (positions.has(run.runId) || followers.has(run.runId)) continue;
          if (first && after === null && !live(run)) positions.set(run.runId, Number.MAX_SAFE_INTEGER);
          else follow(run.runId, first ? (after ?? 0) : 0);
        }
      } catch (error) {
        this.logger.warn({ err: error, projectId }, 'project feed could not list runs');
      }
    };

    const unwatch = this.watch.watchProject(projectId, (runId) => follow(runId, 0));
    const poll = setInterval(() => void discover(false), RUN_STREAM.pollMs);
    let pongWait: NodeJS.Timeout | undefined;
    const ping = setInterval(() => {
      if (ws.readyState !== ws.OPEN) return;
      pongWait = setTimeout(() => ws.terminate(), KEEP_ALIVE_MS);
      ws.once('pong', () => clearTimeout(pongWait));
      ws.ping();
    }, KEEP_ALIVE_MS);
    ws.on('error', (error) => this.logger.debug({ err: error }, 'project feed socket closed on a bad frame'));
    ws.once('close', () => {
      closed = true;
      unwatch();
      clearInterval(poll);
      clearInterval(ping);
      clearTimeout(pongWait);
      for (const follower of followers.values()) follower.stop();
    });
    void discover(true);
  }
}

/** Refuses an upgrade with the HTTP status and error body a REST call would get. */
function refuse(socket: Duplex, error: unknown) {
  const body = error instanceof AutocoderError ? error.toBody() : { code: ErrorCodes.Unavailable, message: 'the project feed is unavailable' };
  const status = error instanceof AutocoderError ? httpStatusOf(error.code) : 503;
  const text = JSON.stringify({ status: 'error', error: body });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
  );
}
