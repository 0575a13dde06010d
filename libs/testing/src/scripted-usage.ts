import { randomUUID } from 'node:crypto';
import {
  AutocoderError,
  BudgetsInput,
  EstimateInput,
  ProjectUsageInput,
  RecostInput,
  RunCostInput,
  SetBudgetInput,
  Subjects,
  UsageSeriesInput,
  emptyUsage,
  parseInput,
  type BudgetView,
  type ErrorBody,
  type LedgerLine,
  type ProjectTotals,
  type ProjectUsageView,
  type Reply,
  type UsageBreakdownRow,
  type UsageEstimate,
  type UsageSeriesPoint,
  type UsageTotals,
  type UsageUpdated,
} from '@autocoder/contracts';
import type { InProcessBroker } from '@autocoder/messaging';
import type { z } from 'zod';

type Envelope = { commandId?: string; correlationId: string; actor: unknown; payload: Record<string, any> };

const PICO = 10n ** 12n;
/** Exact dollar strings to picodollars and back: the double sums money as the service does, without floats. */
const pico = (usd: string) => {
  const [whole, fraction = ''] = usd.split('.');
  return BigInt(whole) * PICO + BigInt(fraction.padEnd(12, '0'));
};
const usd = (amount: bigint) => {
  const fraction = (amount % PICO).toString().padStart(12, '0').replace(/0+$/, '');
  return `${amount / PICO}${fraction ? `.${fraction}` : ''}`;
};

const totalsOf = (lines: LedgerLine[]): UsageTotals => {
  const usage = emptyUsage();
  let cost = 0n;
  for (const l of lines) {
    usage.input += l.usage.input;
    usage.output += l.usage.output;
    usage.cacheWrite5m += l.usage.cacheWrite5m;
    usage.cacheWrite1h += l.usage.cacheWrite1h;
    usage.cacheRead += l.usage.cacheRead;
    cost += pico(l.costUsd);
  }
  return { calls: lines.length, usage, costUsd: usd(cost), unknownModelCalls: lines.filter((l) => l.unknownModel).length };
};

const within = (from?: string, to?: string) => (l: LedgerLine) => (!from || l.calledAt >= from) && (!to || l.calledAt < to);

/**
 * A test double of the usage service's replies and notifications on an in-process bus: a ledger kept
 * in memory (`record` a priced call: it publishes usageUpdated as the service does), budgets, and
 * estimates, answered as the contracts say; `alert` publishes budgetAlert. `silence(subject)` makes a
 * subject never answer (a service that hangs); `received` holds what reached it. Not the usage
 * service: no pricing (a line's cost is what the test says) and no validation beyond what it needs.
 */
export class ScriptedUsage {
  readonly received: { subject: string; envelope: Envelope }[] = [];
  readonly lines: LedgerLine[] = [];
  readonly budgets = new Map<string, BudgetView>();
  readonly estimates = new Map<string, UsageEstimate>();
  /** Readable names of breakdown keys (a feature's name, a project's). */
  readonly labels = new Map<string, string>();
  readonly silenced = new Set<string>();

  constructor(private readonly broker: InProcessBroker) {
    const U = Subjects.usage;
    // Each subject's input is checked with the schema the usage service checks it with, so what the
    // gateway sends is what the service would take; a refusal is answered as the service answers it.
    const on = (subject: string, schema: z.ZodType | null, answer: (payload: Record<string, any>) => unknown) =>
      broker.register(subject, async (data) => {
        const envelope = data as Envelope;
        this.received.push({ subject, envelope });
        if (this.silenced.has(subject)) await new Promise(() => undefined);
        try {
          const payload = (schema ? parseInput(schema, envelope.payload ?? {}, `${subject} input`) : (envelope.payload ?? {})) as Record<string, any>;
          return { ok: true, value: answer(payload) } satisfies Reply<unknown>;
        } catch (error) {
          return { ok: false, error: error instanceof AutocoderError ? error.toBody() : (error as ErrorBody) } satisfies Reply<unknown>;
        }
      });
    on(U.projectUsage, ProjectUsageInput, (p) => this.projectUsage(p.projectId, p.from, p.to));
    on(U.allUsage, null, (): ProjectTotals[] =>
      this.rows(this.lines, (l) => l.projectId)
        .map(({ key, label: _label, ...totals }) => ({ projectId: key, ...totals }))
        .sort((a, b) => (pico(b.costUsd) > pico(a.costUsd) ? 1 : pico(b.costUsd) < pico(a.costUsd) ? -1 : 0)),
    );
    on(U.ledger, ProjectUsageInput, (p): LedgerLine[] => this.lines.filter((l) => l.projectId === p.projectId).filter(within(p.from, p.to)));
    on(U.series, UsageSeriesInput, (p): UsageSeriesPoint[] => {
      const width = p.bucket === 'hour' ? 13 : 10;
      const lines = this.lines.filter((l) => !p.projectId || l.projectId === p.projectId).filter(within(p.from, p.to));
      return this.rows(lines, (l) => l.calledAt.slice(0, width))
        .sort((a, b) => a.key.localeCompare(b.key))
        .map(({ key, label: _label, ...totals }) => ({ at: width === 13 ? `${key}:00:00.000Z` : `${key}T00:00:00.000Z`, ...totals }));
    });
    on(U.runCost, RunCostInput, (p): UsageTotals => totalsOf(this.lines.filter((l) => l.runId === p.runId)));
    on(U.estimate, EstimateInput, (p): UsageEstimate =>
      this.estimates.get(p.projectId) ?? {
        projectId: p.projectId,
        remainingFeatures: 0,
        estimatedCostUsd: '0',
        estimatedTokens: 0,
        estimatedSeconds: 0,
        basis: 'none',
        basedOnFeatures: 0,
        method: 'no completed features to average yet',
      },
    );
    on(U.budgets, BudgetsInput, (p) => [...this.budgets.values()].filter((b) => b.projectId === p.projectId).map((b) => this.withSpent(b)));
    on(U.setBudget, SetBudgetInput, (p): BudgetView => {
      const key = `${p.scope}-${p.scopeId}`;
      const budget: BudgetView = this.budgets.get(key) ?? {
        scope: p.scope,
        scopeId: p.scopeId,
        projectId: p.projectId,
        softUsd: null,
        hardUsd: null,
        spentUsd: '0',
        reservedUsd: '0',
        warned: false,
        exhausted: false,
      };
      if (p.softUsd !== undefined) budget.softUsd = p.softUsd;
      if (p.hardUsd !== undefined) budget.hardUsd = p.hardUsd;
      this.budgets.set(key, budget);
      return this.withSpent(budget);
    });
    on(U.recost, RecostInput, () => ({ toVersion: 1, examined: 0, recosted: 0, unchanged: 0 }));
  }

  /** Subjects the gateway sent, in order, with each envelope. */
  sent(subject: string) {
    return this.received.filter((r) => r.subject === subject).map((r) => r.envelope);
  }

  /** The subject stops answering (requests to it wait for good); `answer` undoes it. */
  silence(subject: string) {
    this.silenced.add(subject);
  }
  answer(subject: string) {
    this.silenced.delete(subject);
  }

  /** Records a priced call and publishes the project's new totals (usageUpdated), unless `notify` is false. */
  record(line: Partial<LedgerLine> & Pick<LedgerLine, 'projectId' | 'runId'>, options: { notify?: boolean } = {}): LedgerLine {
    const full: LedgerLine = {
      callId: randomUUID(),
      calledAt: new Date().toISOString(),
      sessionId: randomUUID(),
      featureId: null,
      taskId: null,
      turn: this.lines.length + 1,
      model: 'claude-sonnet-4-6',
      match: 'exact',
      unknownModel: false,
      longContext: false,
      priceVersion: 1,
      usage: { input: 1000, output: 100, cacheWrite5m: 0, cacheWrite1h: 0, cacheRead: 0 },
      costUsd: '0.0045',
      ...line,
    };
    this.lines.push(full);
    if (options.notify !== false) {
      const update: UsageUpdated = { projectId: full.projectId, totals: totalsOf(this.lines.filter((l) => l.projectId === full.projectId)), callId: full.callId, calledAt: full.calledAt };
      this.broker.publish(Subjects.notifications.usageUpdated, update);
    }
    return full;
  }

  /** Publishes budgetAlert for a budget (as the service does past a soft threshold or at a hard limit). */
  alert(budget: BudgetView) {
    this.broker.publish(Subjects.notifications.budgetAlert, budget);
  }

  projectUsage(projectId: string, from?: string, to?: string): ProjectUsageView {
    const lines = this.lines.filter((l) => l.projectId === projectId).filter(within(from, to));
    return {
      projectId,
      totals: totalsOf(lines),
      byFeature: this.rows(lines, (l) => l.featureId),
      bySession: this.rows(lines, (l) => l.sessionId),
      byRun: this.rows(lines, (l) => l.runId),
      byModel: this.rows(lines, (l) => l.model),
      byDay: this.rows(lines, (l) => l.calledAt.slice(0, 10)),
      priceVersions: [...new Set(lines.map((l) => l.priceVersion))].sort((a, b) => a - b),
    };
  }

  private rows(lines: LedgerLine[], keyOf: (l: LedgerLine) => string | null): UsageBreakdownRow[] {
    const groups = new Map<string, LedgerLine[]>();
    for (const l of lines) {
      const key = keyOf(l);
      if (key === null) continue;
      groups.set(key, [...(groups.get(key) ?? []), l]);
    }
    return [...groups].map(([key, group]) => ({ key, label: this.labels.get(key) ?? null, ...totalsOf(group) }));
  }

  private withSpent(budget: BudgetView): BudgetView {
    const field = budget.scope === 'project' ? 'projectId' : budget.scope === 'run' ? 'runId' : 'featureId';
    return { ...budget, spentUsd: totalsOf(this.lines.filter((l) => l[field] === budget.scopeId)).costUsd };
  }
}
