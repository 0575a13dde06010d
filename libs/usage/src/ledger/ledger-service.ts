import {
  AutocoderError,
  ErrorCodes,
  EstimateInput,
  nameBasedUuid,
  parseInput,
  ProjectUsageInput,
  RecostInput,
  RunCostInput,
  UsageSeriesInput,
  usageSessionStreamName,
  type Actor,
  type CommandEnvelope,
  type LedgerLine,
  type ProjectUsageView,
  type QueryEnvelope,
  type RecostAnswer,
  type UsageEstimate,
  type UsageSeriesPoint,
  type UsageTotals,
} from '@autocoder/contracts';
import { contextOf } from '@autocoder/eventstore';
import type { CommandLog } from '@autocoder/messaging';
import type { PriceBook } from '../prices/price-book';
import type { UsageQueries } from '../read-models/usage-queries';
import type { UsageSessions } from './ledger-reactor';

const requireAdmin = (actor: Actor | undefined, what: string) => {
  if (actor?.kind !== 'admin' && actor?.kind !== 'system') throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs the admin token`);
};

/** The ledger's use cases: the recost command and the queries the gateway serves. */
export class LedgerService {
  constructor(
    private readonly sessions: UsageSessions,
    private readonly commands: CommandLog,
    private readonly queries: UsageQueries,
    private readonly prices: PriceBook,
    /** Read your writes: the ledger read model has the event at this position (or a few seconds passed). */
    private readonly projected: (position: number | null) => Promise<void> = async () => undefined,
  ) {}

  /**
   * Prices every call not priced with the current version (or only those of `fromVersion`) again
   * from its stored token buckets; a changed price is recorded as CallRecosted, naming both versions.
   * Each call's command id follows from this command's, so a retry records nothing twice.
   */
  recost(subject: string, envelope: CommandEnvelope): Promise<RecostAnswer> {
    requireAdmin(envelope.actor, 'recosting the ledger');
    const input = parseInput(RecostInput, envelope.payload ?? {}, 'recost');
    return this.commands.run(subject, envelope, async () => {
      const calls = await this.queries.callsToRecost(this.prices.version, input.fromVersion);
      let recosted = 0;
      let last: number | null = null;
      const now = new Date().toISOString();
      for (const call of calls) {
        const priced = this.prices.price(call.model, call.usage, call.calledAt);
        const handled = await this.sessions.handle(
          usageSessionStreamName(call.sessionId),
          {
            type: 'RecostCall',
            data: {
              callId: call.callId,
              sessionId: call.sessionId,
              projectId: call.projectId,
              toVersion: priced.priceVersion,
              match: priced.match,
              unknownModel: priced.unknownModel,
              longContext: priced.longContext,
              costs: priced.costs,
              costUsd: priced.costUsd,
              recostedAt: now,
            },
          },
          contextOf(envelope, nameBasedUuid(`usage/recost/${envelope.commandId}/${call.callId}`)),
        );
        if (handled.events.length) {
          recosted++;
          last = handled.position;
        }
      }
      await this.projected(last);
      return { value: { toVersion: this.prices.version, examined: calls.length, recosted, unchanged: calls.length - recosted } };
    });
  }

  projectUsage(envelope: QueryEnvelope): Promise<ProjectUsageView> {
    const input = parseInput(ProjectUsageInput, envelope.payload, 'project usage query');
    return this.queries.projectUsage(input.projectId, input);
  }

  allUsage(): Promise<(UsageTotals & { projectId: string })[]> {
    return this.queries.allUsage();
  }

  ledger(envelope: QueryEnvelope): Promise<LedgerLine[]> {
    const input = parseInput(ProjectUsageInput, envelope.payload, 'ledger query');
    return this.queries.ledger(input.projectId, input);
  }

  series(envelope: QueryEnvelope): Promise<UsageSeriesPoint[]> {
    return this.queries.series(parseInput(UsageSeriesInput, envelope.payload ?? {}, 'usage series query'));
  }

  runCost(envelope: QueryEnvelope): Promise<UsageTotals> {
    return this.queries.runCost(parseInput(RunCostInput, envelope.payload, 'run cost query').runId);
  }

  estimate(envelope: QueryEnvelope): Promise<UsageEstimate> {
    return this.queries.estimate(parseInput(EstimateInput, envelope.payload, 'estimate query').projectId);
  }
}
