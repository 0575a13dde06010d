import type { Logger } from '@autocoder/platform';
import { Body, Controller, Get, Headers, Inject, Param, Put, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/request-context.middleware';
import { queryFilter } from '../rest/coord-messages.controller';
import { writeTo } from '../runner/agent-runs.controller';
import { bodyOf } from '../runner/projects.controller';
import { RunnerClient } from '../runner/runner-client';
import { GATEWAY_LOGGER } from '../tokens';
import { BudgetTargets } from './budget-targets';
import { UsageClient } from './usage-client';
import { LEDGER_CSV_COLUMNS, csvRow, ledgerCsvRow, restAllUsage, restBudget, restEstimate, restProjectUsage, restSeriesPoint } from './usage-rest';

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
    @Inject(GATEWAY_LOGGER) private readonly logger: Logger,
  ) {}

  /** Every project's totals, with breakdowns by project, model and day; ?from= and ?to= (ISO 8601) narrow it. */
  @Get('usage')
  async all(@Req() req: AuthenticatedRequest, @Query() query: Record<string, unknown>) {
    return restAllUsage(await this.usage.allUsage(req.actor!, queryFilter(query, 'usage filter')));
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
   * The ledger, one call a line (oldest first) after a header row, read from the usage service a page
   * at a time. A failure once the rows began cuts the response short (no final chunk), so a download
   * never looks complete when it is not.
   */
  @Get('projects/:id/usage.csv')
  async csv(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Query() query: Record<string, unknown>, @Res() res: Response) {
    const actor = req.actor!;
    const position = { ...queryFilter(query, 'ledger filter'), projectId: id };
    let [, page] = await Promise.all([this.runner.getProject(actor, id), this.usage.ledger(actor, position)]);
    res.status(200).setHeader('Content-Type', 'text/csv; charset=utf-8; header=present');
    res.setHeader('Content-Disposition', `attachment; filename="usage-${id}.csv"`);
    try {
      if (!(await writeTo(res, csvRow(LEDGER_CSV_COLUMNS)))) return;
      for (;;) {
        if (page.lines.length && !(await writeTo(res, page.lines.map(ledgerCsvRow).join('')))) return;
        if (!page.next) break;
        page = await this.usage.ledger(actor, { ...position, after: page.next });
      }
      res.end();
    } catch (error) {
      this.logger.warn({ err: error, projectId: id }, 'usage CSV export cut short');
      res.destroy();
    }
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
