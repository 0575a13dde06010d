import {
  AutocoderError,
  BudgetsInput,
  ErrorCodes,
  EstimateInput,
  ProjectUsageInput,
  RecostInput,
  RunCostInput,
  SetBudgetInput,
  Subjects,
  UsageSeriesInput,
  parseInput,
  type Actor,
  type BudgetView,
  type LedgerLine,
  type ProjectTotals,
  type ProjectUsageView,
  type UsageEstimate,
  type UsageSeriesPoint,
  type UsageTotals,
  type UsageUpdated,
} from '@autocoder/contracts';
import type { MessageBus } from '@autocoder/messaging';
import { Inject, Injectable } from '@nestjs/common';
import type { z } from 'zod';
import { BusClient } from '../bus-client';
import { MESSAGE_BUS } from '../tokens';

const S = Subjects.usage;

/** As the runner's part decides it, before anything is sent, so REST and GraphQL refuse alike. */
export function requireAdminForUsage(actor: Actor, what: string): void {
  if (actor.kind !== 'admin') throw new AutocoderError(ErrorCodes.Forbidden, `${what} needs the admin token; an agent's key may only read usage, budgets and estimates`);
}

/** How long a run's page waits for its cost: the run is shown without it rather than late. */
export const RUN_COST_DEADLINE_MS = 2_000;

/**
 * A budget's input checked, and one that gives neither limit refused (it would change nothing).
 * Given only the limits' schema (SetBudgetInput.pick) it checks what a caller gave before any lookup.
 */
export function parseBudget<S extends z.ZodType<{ softUsd?: string | null; hardUsd?: string | null }>>(schema: S, input: unknown): z.infer<S> {
  const budget = parseInput(schema, input, 'budget');
  if (budget.softUsd === undefined && budget.hardUsd === undefined) {
    const message = 'give a soft limit, a hard limit or both (null clears one)';
    throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid budget: softUsd: ${message}`, [{ path: 'softUsd', message }]);
  }
  return budget;
}

/** A run's cost, or why it is not there: the usage service is a separate process and may be down. */
export type RunCostAnswer = { ok: true; cost: UsageTotals } | { ok: false; reason: string };

/**
 * The gateway's way to the usage service, one method per subject it serves to people (the runner's
 * own `reserve` is not one). Input is checked against the contracts' schemas first, so a bad field
 * is a 400 naming it without a trip over the bus. As for the runner: agents' keys may read usage,
 * budgets and estimates; setting a budget or recosting needs the admin token.
 */
@Injectable()
export class UsageClient extends BusClient {
  constructor(@Inject(MESSAGE_BUS) bus: MessageBus) {
    super(bus);
  }

  private read<T, S extends z.ZodType>(subject: string, schema: S, what: string, actor: Actor, input: unknown) {
    return this.query<T>(subject, actor, parseInput(schema, input, what));
  }

  projectUsage(actor: Actor, input: unknown) {
    return this.read<ProjectUsageView, typeof ProjectUsageInput>(S.projectUsage, ProjectUsageInput, 'usage filter', actor, input);
  }
  /** Every project's totals, most expensive first (the service takes no filter). */
  allUsage(actor: Actor) {
    return this.query<ProjectTotals[]>(S.allUsage, actor, {});
  }
  /** A project's ledger, one line per priced call in call order; ?from= and ?to= narrow it. */
  ledger(actor: Actor, input: unknown) {
    return this.read<LedgerLine[], typeof ProjectUsageInput>(S.ledger, ProjectUsageInput, 'ledger filter', actor, input);
  }
  series(actor: Actor, input: unknown) {
    return this.read<UsageSeriesPoint[], typeof UsageSeriesInput>(S.series, UsageSeriesInput, 'usage series', actor, input);
  }
  runCost(actor: Actor, runId: unknown) {
    return this.read<UsageTotals, typeof RunCostInput>(S.runCost, RunCostInput, 'run id', actor, { runId });
  }
  estimate(actor: Actor, projectId: unknown) {
    return this.read<UsageEstimate, typeof EstimateInput>(S.estimate, EstimateInput, 'project id', actor, { projectId });
  }
  budgets(actor: Actor, projectId: unknown) {
    return this.read<BudgetView[], typeof BudgetsInput>(S.budgets, BudgetsInput, 'project id', actor, { projectId });
  }

  setBudget(actor: Actor, input: unknown, commandId?: string | null) {
    requireAdminForUsage(actor, 'setting a budget');
    return this.command<BudgetView>(S.setBudget, actor, parseBudget(SetBudgetInput, input), commandId);
  }

  /** Prices the ledger again with the current price table; the answer is the usage service's summary. */
  recost(actor: Actor, input: unknown = {}, commandId?: string | null) {
    requireAdminForUsage(actor, 'recosting the ledger');
    return this.command<Record<string, unknown>>(S.recost, actor, parseInput(RecostInput, input, 'recost input'), commandId);
  }

  /**
   * A run's cost for its page: any failure (no usage service, no answer within the deadline, an
   * error) is an absence with its reason, never the run's failure. A malformed id still fails, as the
   * run's own lookup would.
   */
  async runCostOrAbsence(actor: Actor, runId: unknown, deadlineMs = RUN_COST_DEADLINE_MS): Promise<RunCostAnswer> {
    const input = parseInput(RunCostInput, { runId }, 'run id');
    try {
      return { ok: true, cost: await this.query<UsageTotals>(S.runCost, actor, input, deadlineMs) };
    } catch (error) {
      const why = error instanceof AutocoderError ? `${error.code}: ${error.message}` : String(error);
      return { ok: false, reason: `the cost is not known now: ${why}` };
    }
  }

  /** Each notification is a hint (at most once); the queries are the truth. */
  onUsageUpdated(handler: (update: UsageUpdated) => void) {
    return this.bus.subscribe<UsageUpdated>(Subjects.notifications.usageUpdated, handler);
  }
  onBudgetAlert(handler: (budget: BudgetView) => void) {
    return this.bus.subscribe<BudgetView>(Subjects.notifications.budgetAlert, handler);
  }
}
