import type { ModelCallCompleted, ModelUsage, SessionEvent } from '@autocoder/contracts';
import { usageSessionStreamName } from '@autocoder/contracts';
import type { AggregateStore, CommandContext, EventStore, RecordedEvent } from '@autocoder/eventstore';
import type { Logger } from '@autocoder/platform';
import { Reactor, type ReactionContext } from '@autocoder/reactors';
import type { Pool } from 'pg';
import type { PriceBook } from '../prices/price-book';
import { usageProblems } from './usage-problems';
import type { UsageSessionCommand, UsageSessionState } from './usage-session';
import type { UsageSessionEvent } from '@autocoder/contracts';

export type UsageSessions = AggregateStore<UsageSessionCommand, UsageSessionEvent, UsageSessionState>;

export interface LedgerReactorOptions {
  store: EventStore;
  pool: Pool;
  schema: string;
  logger: Logger;
  sessions: UsageSessions;
  prices: PriceBook;
  leaseMs?: number;
}

export const LEDGER_REACTOR = 'usage.ledger';

/**
 * Follows the runner's model calls from the store and prices each one onto its session's ledger.
 * The command id follows from the model-call event, and the session's ledger prices a call once, so
 * a replay after a crash appends nothing twice. A call whose token counts cannot be priced is
 * recorded as such (CallNotPriced, naming the fields), never priced as 0, and the reactor goes on.
 */
export function ledgerReactor(options: LedgerReactorOptions): Reactor<SessionEvent> {
  const { sessions, prices, logger } = options;
  return new Reactor<SessionEvent>({
    name: LEDGER_REACTOR,
    store: options.store,
    pool: options.pool,
    schema: options.schema,
    logger,
    leaseMs: options.leaseMs,
    reactions: {
      ModelCallCompleted: (event, context) => priceCall(event, context, sessions, prices, logger),
    },
  });
}

export async function priceCall(
  event: RecordedEvent<'ModelCallCompleted', ModelCallCompleted['data']>,
  context: Pick<ReactionContext, 'effectId'>,
  sessions: UsageSessions,
  prices: PriceBook,
  logger: Logger,
): Promise<void> {
  const data = event.data;
  const now = new Date().toISOString();
  const commandContext: CommandContext = {
    commandId: context.effectId('price'),
    correlationId: event.metadata.correlationId,
    causationId: event.id,
    actor: 'system:usage-ledger',
    time: now,
  };
  const stream = usageSessionStreamName(data.sessionId);
  const problems = usageProblems(data.usage);
  if (typeof data.model !== 'string' || !data.model) problems.push('model is missing: expected the model id the call used');
  if (problems.length) {
    logger.warn({ callId: event.id, sessionId: data.sessionId, position: event.position, problems }, 'model call not priced: its token counts are not valid');
    const command: UsageSessionCommand = {
      type: 'RejectCall',
      data: { callId: event.id, sessionId: data.sessionId, projectId: data.projectId, runId: data.runId, model: String(data.model ?? ''), problems, recordedAt: now },
    };
    await sessions.handle(stream, command, commandContext);
    return;
  }
  const usage: ModelUsage = {
    input: data.usage.input,
    output: data.usage.output,
    cacheWrite5m: data.usage.cacheWrite5m,
    cacheWrite1h: data.usage.cacheWrite1h,
    cacheRead: data.usage.cacheRead,
  };
  const priced = prices.price(data.model, usage, data.completedAt);
  if (priced.unknownModel) logger.warn({ model: data.model, callId: event.id }, 'model not in the price table: priced at the fallback and flagged');
  await sessions.handle(
    stream,
    {
      type: 'PriceCall',
      data: {
        projectId: data.projectId,
        runId: data.runId,
        sessionId: data.sessionId,
        featureId: data.featureId,
        taskId: data.taskId,
        callId: event.id,
        turn: data.turn,
        model: data.model,
        usage,
        priceVersion: priced.priceVersion,
        match: priced.match,
        unknownModel: priced.unknownModel,
        longContext: priced.longContext,
        costs: priced.costs,
        costUsd: priced.costUsd,
        calledAt: data.completedAt,
        pricedAt: now,
      },
    },
    commandContext,
  );
}
