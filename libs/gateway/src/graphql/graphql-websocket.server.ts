import { randomUUID } from 'node:crypto';
import { AutocoderError, type Actor } from '@autocoder/contracts';
import { withCorrelationId, type Logger } from '@autocoder/platform';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { execute, GraphQLError, parse, specifiedRules, subscribe, validate, type ExecutionArgs } from 'graphql';
import { CloseCode, handleProtocols, makeServer, type Context, type SubscribePayload } from 'graphql-ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { AgentRevocations, type RevocationReason } from '../auth/agent-revocations';
import { AGENT_KEY_CACHE, Authenticator } from '../auth/authenticator';
import { withBusBudget } from '../bus-budget';
import { MAX_BODY_BYTES } from '../limits';
import { GATEWAY_LOGGER } from '../tokens';
import { WebSocketUpgrades } from '../websocket-upgrades';
import { DOCUMENT_RULES, PARSE_OPTIONS } from './document-limits';
import { createGraphQLErrorFormatter, withHttpCode } from './format-error';
import { serviceCallRefusal } from './service-call-cost';

export const GRAPHQL_PATH = '/graphql';
const KEEP_ALIVE_MS = 12_000;

/** What the gateway keeps about one socket: its token, and the actor it was last found to be. */
interface Session {
  socket: WebSocket;
  authorization?: unknown;
  actor?: Actor;
}
type Extra = { session: Session };
type OperationContext = { actor: Actor; correlationId: string };

const errorsOf = (message: string, code: string) => [new GraphQLError(message, { extensions: { code } })];

/**
 * GraphQL over graphql-ws on /graphql, owned by the gateway rather than left to @nestjs/apollo, so
 * that it keeps the HTTP rules: frames are capped like HTTP bodies (ws closes an oversized one with
 * 1009 before reading it), documents are bounded before they run, every operation re-checks the
 * socket's key and gets a budget of service calls, errors have the HTTP shape, and the sockets of a
 * rotated key (or an agent marked offline) are closed at once.
 */
@Injectable()
export class GraphQLWebSocketServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private wss?: WebSocketServer;
  private readonly byAgent = new Map<string, Set<Session>>();
  private readonly format;
  private sweep?: NodeJS.Timeout;
  private stopListening?: () => void;

  constructor(
    private readonly upgrades: WebSocketUpgrades,
    private readonly schemaHost: GraphQLSchemaHost,
    private readonly authenticator: Authenticator,
    private readonly revocations: AgentRevocations,
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
  ) {
    this.format = createGraphQLErrorFormatter(logger);
  }

  onApplicationBootstrap() {
    const schema = this.schemaHost.schema;
    const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY_BYTES, handleProtocols });
    this.wss = wss;
    const server = makeServer<Record<string, unknown> | undefined, Extra>({
      schema,
      onConnect: (ctx) => this.connect(ctx),
      onSubscribe: (ctx, _id, payload) => this.prepare(ctx, payload),
      execute: (args) => this.run(args, execute),
      subscribe: (args) => this.run(args, subscribe),
      onNext: (_ctx, _id, _payload, args, result) => {
        const { correlationId } = args.contextValue as OperationContext;
        return result.errors ? { ...result, errors: result.errors.map((e) => this.format(withHttpCode(e), e, correlationId)) } : undefined;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => this.format(withHttpCode(e), e)),
    });

    wss.on('connection', (socket: WebSocket) => {
      const session: Session = { socket };
      // An oversized frame or a broken one: ws closes the socket (1009, 1002); nothing else to do.
      socket.on('error', (error) => this.logger.debug({ err: error }, 'websocket closed on a bad frame'));
      let pongWait: NodeJS.Timeout | undefined;
      const ping = setInterval(() => {
        if (socket.readyState !== socket.OPEN) return;
        pongWait = setTimeout(() => socket.terminate(), KEEP_ALIVE_MS);
        socket.once('pong', () => clearTimeout(pongWait));
        socket.ping();
      }, KEEP_ALIVE_MS);
      const closed = server.opened(
        {
          protocol: socket.protocol,
          send: (data) =>
            new Promise((resolve, reject) => {
              if (socket.readyState !== socket.OPEN) return resolve();
              socket.send(data, (err) => (err ? reject(err) : resolve()));
            }),
          close: (code, reason) => socket.close(code, reason),
          onMessage: (cb) =>
            socket.on('message', async (data) => {
              try {
                await cb(String(data));
              } catch (error) {
                this.logger.error({ err: error }, 'websocket message handling failed');
                socket.close(CloseCode.InternalServerError, 'internal error');
              }
            }),
        },
        { session },
      );
      socket.once('close', (code, reason) => {
        clearInterval(ping);
        clearTimeout(pongWait);
        this.forgetSession(session);
        void closed(code, String(reason));
      });
    });

    this.upgrades.route(
      (path) => path === GRAPHQL_PATH,
      (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
    );

    this.stopListening = this.revocations.listen((agentId, reason) => this.recheck(agentId, reason));
    // A backstop for a lost notification (they are at most once): every socket's key is re-checked
    // as often as an accepted verdict expires.
    this.sweep = setInterval(() => {
      for (const agentId of [...this.byAgent.keys()]) void this.recheck(agentId, 'changed', false);
    }, AGENT_KEY_CACHE.acceptedMs);
    this.sweep.unref();
  }

  async beforeApplicationShutdown() {
    clearInterval(this.sweep);
    this.stopListening?.();
    const wss = this.wss;
    if (!wss) return;
    for (const client of wss.clients) client.close(1001, 'Going away');
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  }

  private async connect(ctx: Context<Record<string, unknown> | undefined, Extra>) {
    const params = ctx.connectionParams ?? {};
    const session = ctx.extra.session;
    session.authorization = params.Authorization ?? params.authorization;
    try {
      session.actor = await this.authenticator.authenticate(session.authorization);
    } catch {
      return false; // graphql-ws closes with 4403 Forbidden
    }
    if (session.actor.kind === 'agent') {
      const sessions = this.byAgent.get(session.actor.agentId) ?? new Set();
      sessions.add(session);
      this.byAgent.set(session.actor.agentId, sessions);
    }
    return true;
  }

  /** Every operation: the key still valid, the document within bounds, then the arguments to run. */
  private async prepare(ctx: Context<Record<string, unknown> | undefined, Extra>, payload: SubscribePayload) {
    const session = ctx.extra.session;
    let actor: Actor;
    try {
      actor = await this.authenticator.authenticate(session.authorization);
    } catch (error) {
      const message = error instanceof AutocoderError ? error.message : 'authentication is unavailable';
      if (error instanceof AutocoderError && error.code === 'UNAUTHENTICATED') this.close(session, 'the key of this socket is no longer valid');
      return errorsOf(message, error instanceof AutocoderError ? error.code : 'UNAVAILABLE');
    }
    let document;
    try {
      document = parse(payload.query, PARSE_OPTIONS);
    } catch (error) {
      return errorsOf(error instanceof Error ? error.message : String(error), 'GRAPHQL_PARSE_FAILED');
    }
    const schema = this.schemaHost.schema;
    const invalid = validate(schema, document, [...specifiedRules, ...DOCUMENT_RULES]);
    if (invalid.length) {
      return invalid.map((e) => (e.extensions?.code ? e : new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })));
    }
    const tooCostly = serviceCallRefusal(schema, document, payload.variables, payload.operationName);
    if (tooCostly) return [tooCostly];
    const contextValue: OperationContext = { actor, correlationId: randomUUID() };
    return { schema, document, variableValues: payload.variables, operationName: payload.operationName, contextValue } satisfies ExecutionArgs;
  }

  /** Runs an operation under its correlation id and with its own budget of service calls. */
  private run<T>(args: ExecutionArgs, fn: (args: ExecutionArgs) => T): T {
    const { correlationId } = args.contextValue as OperationContext;
    return withCorrelationId(correlationId, () => withBusBudget(() => fn(args)));
  }

  /** After a sign that an agent's key may have changed: close its sockets whose key no longer works. */
  private async recheck(agentId: string, reason: RevocationReason, forget = true) {
    const sessions = this.byAgent.get(agentId);
    if (!sessions?.size) return;
    if (reason === 'offline') {
      for (const session of [...sessions]) this.close(session, 'the agent was marked offline; reconnect to go on');
      return;
    }
    if (forget) this.authenticator.forget(agentId);
    await Promise.all(
      [...sessions].map(async (session) => {
        try {
          await this.authenticator.authenticate(session.authorization);
        } catch (error) {
          if (error instanceof AutocoderError && error.code === 'UNAUTHENTICATED') this.close(session, 'the key of this socket was rotated');
        }
      }),
    );
  }

  private close(session: Session, reason: string) {
    this.forgetSession(session);
    session.socket.close(CloseCode.Forbidden, reason);
  }

  private forgetSession(session: Session) {
    if (session.actor?.kind !== 'agent') return;
    const sessions = this.byAgent.get(session.actor.agentId);
    sessions?.delete(session);
    if (sessions && !sessions.size) this.byAgent.delete(session.actor.agentId);
  }
}
