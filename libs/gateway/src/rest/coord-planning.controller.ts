import type { DecisionView, DocumentRevisionView, PlanView } from '@autocoder/contracts';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/request-context.middleware';
import { CollaborationClient } from '../collaboration-client';
import { queryFilter } from './coord-messages.controller';
import { camelKeys, snakeKeys } from './snake-case';

const restDocument = ({ revisions, ...document }: PlanView | DecisionView) => ({
  ...snakeKeys({ ...document }),
  ...(revisions ? { revisions: revisions.map((r: DocumentRevisionView) => snakeKeys({ ...r })) } : {}),
});
const body = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (camelKeys(value) as Record<string, unknown>) : {});

/**
 * Seed 004's plan endpoint ({"project_id","title","body_markdown"} -> {"status":"ok","plan_id"}),
 * and, beyond the seed, listing, reading with revisions, and revising.
 */
@Controller('api/coord/plans')
export class CoordPlansController {
  constructor(private readonly collaboration: CollaborationClient) {}

  @Post()
  @HttpCode(200)
  async create(@Req() req: AuthenticatedRequest, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const plan = await this.collaboration.createPlan(req.actor!, camelKeys(payload), commandId);
    return { status: 'ok', plan_id: plan.planId };
  }

  @Get()
  async list(@Req() req: AuthenticatedRequest, @Query() query: Record<string, unknown>) {
    const plans = await this.collaboration.listPlans(req.actor!, queryFilter(query, 'plan filter'));
    return { status: 'ok', plans: plans.map(restDocument) };
  }

  @Get(':id')
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    return { status: 'ok', plan: restDocument(await this.collaboration.getPlan(req.actor!, id)) };
  }

  /** {"title"?, "body_markdown"?, "expected_revision"?} -> {"status":"ok","plan_id","revision"}. */
  @Post(':id/revisions')
  @HttpCode(200)
  async revise(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const plan = await this.collaboration.revisePlan(req.actor!, { ...body(payload), planId: id }, commandId);
    return { status: 'ok', plan_id: plan.planId, revision: plan.revision };
  }
}

/** Seed 004's decision endpoint ({"project_id","title","body_markdown"} -> {"status":"ok","decision_id"}), and the same extras. */
@Controller('api/coord/decisions')
export class CoordDecisionsController {
  constructor(private readonly collaboration: CollaborationClient) {}

  @Post()
  @HttpCode(200)
  async record(@Req() req: AuthenticatedRequest, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const decision = await this.collaboration.recordDecision(req.actor!, camelKeys(payload), commandId);
    return { status: 'ok', decision_id: decision.decisionId };
  }

  @Get()
  async list(@Req() req: AuthenticatedRequest, @Query() query: Record<string, unknown>) {
    const decisions = await this.collaboration.listDecisions(req.actor!, queryFilter(query, 'decision filter'));
    return { status: 'ok', decisions: decisions.map(restDocument) };
  }

  @Get(':id')
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    return { status: 'ok', decision: restDocument(await this.collaboration.getDecision(req.actor!, id)) };
  }

  @Post(':id/revisions')
  @HttpCode(200)
  async revise(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const decision = await this.collaboration.reviseDecision(req.actor!, { ...body(payload), decisionId: id }, commandId);
    return { status: 'ok', decision_id: decision.decisionId, revision: decision.revision };
  }
}
