import { Body, Controller, Get, Headers, Param, Put, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/request-context.middleware';
import { queryFilter } from '../rest/coord-messages.controller';
import { writeTo } from '../runner/agent-runs.controller';
import { bodyOf } from '../runner/projects.controller';
import { RunnerClient } from '../runner/runner-client';
import { BudgetTargets } from './budget-targets';
import { UsageClient } from './usage-client';
import { LEDGER_CSV_COLUMNS, csvRow, ledgerCsvRow, restAllUsage, restBudget, restEstimate, restProjectUsage, restSeriesPoint } from './usage-rest';

/** Rows per write of the CSV export. */
const CSV_CHUNK_ROWS = 1000;

/**
 * Usage, budgets and estimates (issue 8). Agents' keys may read; budgets need the admin token. A
 * project's paths answer 404 for a project the runner does not know, not zeros.
 */
@Controller('api')
export class UsageController {
  constructor(
    private readonly usage: UsageClient,
    private readonly runner: RunnerClient,
    private readonly budgets: BudgetTargets,
  ) {}

  /** Every project's totals (most expensive first, with the project's name) and their sum. */
  @Get('usage')
  async all(@Req() req: AuthenticatedRequest) {
    const [projects, known] = await Promise.all([this.usage.allUsage(req.actor!), this.runner.listProjects(req.actor!)]);
    return restAllUsage(projects, new Map(known.map((p) => [p.projectId, p.name])));
  }

  /** Totals with every bucket and cost_usd, and breakdowns by feature, session, run, model and day. */
  @Get('projects/:id/usage')
  async project(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    const filter = { ...queryFilter(query, 'usage filter'), projectId: id };
    const [, usage] = await Promise.all([this.runner.getProject(req.actor!, id), this.usage.projectUsage(req.actor!, filter)]);
    return restProjectUsage(usage);
  }

  /** Points for a chart: ?bucket=hour|day (default day), ?from=, ?to=. */
  @Get('projects/:id/usage/series')
  async series(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Query() query: Record<string, unknown>) {
    const filter = { ...queryFilter(query, 'usage series'), projectId: id };
    const [, points] = await Promise.all([this.runner.getProject(req.actor!, id), this.usage.series(req.actor!, filter)]);
    return points.map(restSeriesPoint);
  }

  /**
   * The ledger, one call a line (in call order) after a header row; ?from= and ?to= narrow it. Asked
   * before the response starts, so a failure is an error answer, never a short CSV; written in chunks,
   * each after the last has drained.
   */
  @Get('projects/:id/usage.csv')
  async csv(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Query() query: Record<string, unknown>, @Res() res: Response) {
    const actor = req.actor!;
    const filter = { ...queryFilter(query, 'ledger filter'), projectId: id };
    const [, lines] = await Promise.all([this.runner.getProject(actor, id), this.usage.ledger(actor, filter)]);
    res.status(200).setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
    res.setHeader('Content-Disposition', `attachment; filename="usage-${id}.csv"`);
    if (!(await writeTo(res, csvRow(LEDGER_CSV_COLUMNS)))) return;
    for (let start = 0; start < lines.length; start += CSV_CHUNK_ROWS) {
      if (!(await writeTo(res, lines.slice(start, start + CSV_CHUNK_ROWS).map(ledgerCsvRow).join('')))) return;
    }
    res.end();
  }

  @Get('projects/:id/budgets')
  async listBudgets(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    const [, budgets] = await Promise.all([this.runner.getProject(req.actor!, id), this.usage.budgets(req.actor!, id)]);
    return budgets.map(restBudget);
  }

  /** {soft_usd?, hard_usd?}: dollars as numbers or decimal strings; null clears one. -> the budget as it is now. */
  @Put('projects/:id/budget')
  async projectBudget(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restBudget(await this.budgets.set(req.actor!, 'project', id, undefined, bodyOf(payload), commandId));
  }

  @Put('projects/:id/features/:featureId/budget')
  async featureBudget(
    @Req() req: AuthenticatedRequest,
    @Param('id') id: string,
    @Param('featureId') featureId: string,
    @Body() payload: unknown,
    @Headers('idempotency-key') commandId?: string,
  ) {
    return restBudget(await this.budgets.set(req.actor!, 'feature', featureId, id, bodyOf(payload), commandId));
  }

  @Put('agent-runs/:id/budget')
  async runBudget(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restBudget(await this.budgets.set(req.actor!, 'run', id, undefined, bodyOf(payload), commandId));
  }

  /** Estimated cost, tokens and time of the remaining features, with how it was computed. */
  @Get('projects/:id/estimate')
  async estimate(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    const [, estimate] = await Promise.all([this.runner.getProject(req.actor!, id), this.usage.estimate(req.actor!, id)]);
    return restEstimate(estimate);
  }
}
