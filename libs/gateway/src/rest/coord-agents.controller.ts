import { AutocoderError, ErrorCodes, type Actor, type AgentView } from '@autocoder/contracts';
import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/request-context.middleware';
import { CoordinatorClient } from '../coordinator-client';
import { Renderings } from '../renderings';
import { jsonBody, sendJsonBody } from './json-body';
import { camelKeys, snakeKeys } from './snake-case';

const actorOf = (req: AuthenticatedRequest): Actor => req.actor!;

const restAgent = (agent: AgentView) => snakeKeys(agent);

/** Seed 004's agent endpoints, with its exact request and response payloads. */
@Controller('api/coord/agents')
export class CoordAgentsController {
  /** The list's body, made once for each list the coordinator keeps. */
  private readonly listBodies = new Renderings((agents) => jsonBody({ status: 'ok', agents: (agents as AgentView[]).map(restAgent) }));

  constructor(private readonly coordinator: CoordinatorClient) {}

  @Post('register')
  @HttpCode(200)
  async register(@Req() req: AuthenticatedRequest, @Body() body: unknown, @Headers('idempotency-key') commandId?: string) {
    const result = await this.coordinator.registerAgent(actorOf(req), camelKeys(body), commandId);
    return { status: 'ok', agent_id: result.agentId, api_key: result.apiKey };
  }

  @Post('heartbeat')
  @HttpCode(200)
  async heartbeat(@Req() req: AuthenticatedRequest, @Body() body: unknown, @Headers('idempotency-key') commandId?: string) {
    const result = await this.coordinator.agentHeartbeat(actorOf(req), camelKeys(body), commandId);
    return { status: 'ok', next_heartbeat_sec: result.nextHeartbeatSec };
  }

  @Get()
  async list(@Req() req: AuthenticatedRequest, @Res() res: Response, @Query() query: Record<string, unknown>) {
    for (const [key, value] of Object.entries(query)) {
      if (typeof value !== 'string') {
        throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid agent filter: ${key} must be given once, as a plain value`, [
          { path: key, message: 'must be given once' },
        ]);
      }
    }
    const answer = await this.coordinator.listAgentsJson(actorOf(req), camelKeys(query));
    sendJsonBody(req, res, this.listBodies.of(answer));
  }
}
