import { AutocoderError, ErrorCodes, type MessageView } from '@autocoder/contracts';
import { Body, Controller, Get, Headers, HttpCode, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/request-context.middleware';
import { CollaborationClient } from '../collaboration-client';
import { Renderings } from '../renderings';
import { jsonBody, sendJsonBody } from './json-body';
import { camelKeys, snakeKeys } from './snake-case';

/** Top-level keys in snake_case; the payload stays as its sender wrote it. */
const restMessage = (message: MessageView) => snakeKeys(message);

/** Query parameters come once each, as plain values; `limit` is a number. */
export function queryFilter(query: Record<string, unknown>, what: string): Record<string, unknown> {
  for (const [key, value] of Object.entries(query)) {
    if (typeof value !== 'string') {
      throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid ${what}: ${key} must be given once`, [{ path: key, message: 'must be given once' }]);
    }
  }
  const filter = camelKeys(query) as Record<string, unknown>;
  if (typeof filter.limit === 'string' && /^\d+$/.test(filter.limit)) filter.limit = Number(filter.limit);
  return filter;
}

/** Seed 004's coordination chat endpoints, with its exact request and response payloads. */
@Controller('api/coord/messages')
export class CoordMessagesController {
  /** The list's body, made once for each list the coordinator keeps. */
  private readonly listBodies = new Renderings((messages) => jsonBody({ status: 'ok', messages: (messages as MessageView[]).map(restMessage) }));

  constructor(private readonly collaboration: CollaborationClient) {}

  /** {"thread_id","sender_id","message_type","payload"}, plus an optional project_id and task_id (either ties a thread to a project). */
  @Post()
  @HttpCode(200)
  async post(@Req() req: AuthenticatedRequest, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const message = await this.collaboration.postMessage(req.actor!, camelKeys(payload), commandId);
    return { status: 'ok', message_id: message.messageId };
  }

  /** Query params thread_id, project_id, task_id (at least one), since (strictly after) and limit; oldest first. */
  @Get()
  async list(@Req() req: AuthenticatedRequest, @Res() res: Response, @Query() query: Record<string, unknown>) {
    const filter = queryFilter(query, 'message filter');
    sendJsonBody(req, res, this.listBodies.of(await this.collaboration.listMessagesJson(req.actor!, filter)));
  }
}
