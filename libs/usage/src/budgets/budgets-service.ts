import {
  AutocoderError,
  BudgetsInput,
  ErrorCodes,
  ReserveBudgetInput,
  SetBudgetInput,
  actorLabel,
  budgetStreamName,
  isAutocoderError,
  nameBasedUuid,
  parseInput,
  type Actor,
  type BudgetEvent,
  type BudgetScope,
  type BudgetView,
  type CommandEnvelope,
  type QueryEnvelope,
  type ReservationAnswer,
} from '@autocoder/contracts';
import { contextOf, type AggregateStore, type CommandContext } from '@autocoder/eventstore';
import type { CommandLog } from '@autocoder/messaging';
import type { Pool } from 'pg';
import { picoToUsd } from '../money';
import type { PriceBook } from '../prices/price-book';
import { budgetLabel, budgetViewOf, exhaustedError, liveReservedPico, type BudgetCommand, type BudgetState, type ExistingBudget } from './budget';
import { budgetOf, type BudgetRecord } from './budget-record';
import { reservationIdOf } from './reservation-id';

export type BudgetStore = AggregateStore<BudgetCommand, BudgetEvent, BudgetState>;

/** People (the admin token) set budgets; the system (the runner) reserves. Agents' keys do neither. */
const requireOperator = (actor: Actor | undefined, what: string) => {
  if (actor?.kind !== 'admin' && actor?.kind !== 'system') throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs the admin token`);
};

/** The budgets that may apply to a call, in the order they are reserved. */
export const scopesOf = (call: { projectId: string; runId: string; featureId: string | null }): [BudgetScope, string][] => [
  ['project', call.projectId],
  ['run', call.runId],
  ...(call.featureId ? [['feature', call.featureId] as [BudgetScope, string]] : []),
];

const isSoftPassed = (b: ExistingBudget) => b.softPico !== null && b.spentPico + liveReservedPico(b) >= b.softPico;

/** Sets budgets, holds reservations against them before model calls, and lists them. */
export class BudgetsService {
  constructor(
    private readonly budgets: BudgetStore,
    private readonly commands: CommandLog,
    private readonly prices: PriceBook,
    private readonly pool: Pool,
    private readonly schema: string,
  ) {}

  async setBudget(subject: string, envelope: CommandEnvelope): Promise<BudgetView> {
    requireOperator(envelope.actor, 'setting a budget');
    const input = parseInput(SetBudgetInput, envelope.payload, 'budget');
    if (input.scope === 'project' && input.scopeId !== input.projectId) {
      throw new AutocoderError(ErrorCodes.ValidationFailed, 'invalid budget: scopeId: a project budget is the project\'s own: scopeId must equal projectId', [
        { path: 'scopeId', message: 'must equal projectId for a project budget' },
      ]);
    }
    return this.commands.run(subject, envelope, async () => {
      const handled = await this.budgets.handle(
        budgetStreamName(input.scope, input.scopeId),
        {
          type: 'SetBudget',
          data: { scope: input.scope, scopeId: input.scopeId, projectId: input.projectId, softUsd: input.softUsd, hardUsd: input.hardUsd, setBy: actorLabel(envelope.actor), now: new Date().toISOString() },
        },
        contextOf(envelope),
      );
      return { value: budgetViewOf(handled.state as ExistingBudget) };
    });
  }

  /**
   * Holds the call's ceiling (max_tokens at the output price plus the input about to be sent) against
   * every budget that applies. The decider refuses past a hard limit; appends carry the expected
   * revision, so concurrent reservations on one budget are decided one after the other. A budget that
   * refuses gives back what the earlier ones held. With no budget set this is three stream reads.
   */
  async reserve(_subject: string, envelope: CommandEnvelope): Promise<ReservationAnswer> {
    requireOperator(envelope.actor, 'reserving a budget');
    const input = parseInput(ReserveBudgetInput, envelope.payload, 'reservation');
    const reservationId = reservationIdOf(input.sessionId, input.turn);
    const amountPico = this.prices.ceiling(input.model, input.maxTokens, input.inputTokens);
    const answer: ReservationAnswer = { reservationId, amountUsd: picoToUsd(amountPico), warnings: [] };
    const scopes = scopesOf(input);
    const loaded = await Promise.all(scopes.map(([scope, id]) => this.budgets.load(budgetStreamName(scope, id))));
    const applying = scopes.filter((_, i) => loaded[i].state.exists);
    const held: [BudgetScope, string][] = [];
    const context = (label: string): CommandContext => ({ ...contextOf(envelope), commandId: nameBasedUuid(`usage/reserve/${envelope.commandId}/${label}`) });
    for (const [scope, scopeId] of applying) {
      const stream = budgetStreamName(scope, scopeId);
      const now = new Date().toISOString();
      let refusal: AutocoderError | null = null;
      let state: ExistingBudget | null = null;
      try {
        const handled = await this.budgets.handle(stream, { type: 'Reserve', data: { reservationId, sessionId: input.sessionId, turn: input.turn, amountPico, now } }, context(`${scope}/${scopeId}`));
        state = handled.state as ExistingBudget;
        // Decided from the state, not from the events: a retry of this very command appends nothing.
        const taken = !!state.open[reservationId] || state.recentSettled.includes(reservationId);
        if (!taken) refusal = exhaustedError(state, liveReservedPico(state, now), amountPico);
      } catch (error) {
        if (!isAutocoderError(error, ErrorCodes.BudgetExhausted)) {
          await this.release(held, reservationId, 'the reservation failed', context);
          throw error;
        }
        refusal = error;
      }
      if (refusal) {
        await this.release(held, reservationId, `refused by ${state ? budgetLabel(state) : `${scope} budget ${scopeId}`}`, context);
        throw refusal;
      }
      held.push([scope, scopeId]);
      if (isSoftPassed(state!)) answer.warnings.push(budgetViewOf(state!));
    }
    return answer;
  }

  private async release(held: [BudgetScope, string][], reservationId: string, reason: string, context: (label: string) => CommandContext) {
    for (const [scope, scopeId] of held) {
      await this.budgets.handle(budgetStreamName(scope, scopeId), { type: 'Release', data: { reservationId, reason, now: new Date().toISOString() } }, context(`release/${scope}/${scopeId}`));
    }
  }

  /** A project's budgets (its own, its runs', its features'), from the read model. */
  async list(envelope: QueryEnvelope): Promise<BudgetView[]> {
    const { projectId } = parseInput(BudgetsInput, envelope.payload, 'budget list');
    const { rows } = await this.pool.query<{ state: BudgetRecord }>(`SELECT state FROM ${this.schema}.budgets WHERE project_id = $1 ORDER BY scope, scope_id`, [projectId]);
    return rows.map((r) => budgetViewOf(budgetOf(r.state)));
  }
}
