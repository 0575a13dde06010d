import { AutocoderError, ErrorCodes, type TaskView } from '@autocoder/contracts';
import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import type { Response } from 'express';
import type { AuthenticatedRequest } from '../auth/request-context.middleware';
import { Renderings } from '../renderings';
import { TasksClient } from '../tasks-client';
import { jsonBody, sendJsonBody } from './json-body';
import { camelKeys, snakeKeys } from './snake-case';

const restTask = (task: TaskView) => snakeKeys(task);
const body = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (camelKeys(value) as Record<string, unknown>) : {});
const withTask = (id: string, value: unknown) => ({ ...body(value), taskId: id });

/** Seed 004's task endpoints, with its exact request and response payloads. */
@Controller('api/coord/tasks')
export class CoordTasksController {
  /** The list's body, made once for each list the coordinator keeps. */
  private readonly listBodies = new Renderings((tasks) => jsonBody({ status: 'ok', tasks: (tasks as TaskView[]).map(restTask) }));

  constructor(private readonly tasks: TasksClient) {}

  @Post()
  @HttpCode(200)
  async create(@Req() req: AuthenticatedRequest, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const task = await this.tasks.create(req.actor!, camelKeys(payload), commandId);
    return { status: 'ok', task_id: task.taskId, task: restTask(task) };
  }

  @Get()
  async list(@Req() req: AuthenticatedRequest, @Res() res: Response, @Query() query: Record<string, unknown>) {
    for (const [key, value] of Object.entries(query)) {
      if (typeof value !== 'string') {
        throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid task filter: ${key} must be given once`, [{ path: key, message: 'must be given once' }]);
      }
    }
    sendJsonBody(req, res, this.listBodies.of(await this.tasks.listJson(req.actor!, camelKeys(query))));
  }

  /** Not in the seed: an agent asks for the best ready task for its specializations. */
  @Post('claim-next')
  @HttpCode(200)
  async claimNext(@Req() req: AuthenticatedRequest, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const claimed = await this.tasks.claimNext(req.actor!, body(payload), commandId);
    return claimed
      ? { status: 'ok', task: restTask(claimed.task), lease_expires_at: claimed.leaseExpiresAt, fencing_token: claimed.fencingToken }
      : { status: 'ok', task: null };
  }

  @Get(':id')
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    return { status: 'ok', task: restTask(await this.tasks.get(req.actor!, id)) };
  }

  @Post(':id/claim')
  @HttpCode(200)
  async claim(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const claimed = await this.tasks.claim(req.actor!, withTask(id, payload), commandId);
    return { status: 'ok', lease_expires_at: claimed.leaseExpiresAt, fencing_token: claimed.fencingToken };
  }

  @Post(':id/heartbeat')
  @HttpCode(200)
  async heartbeat(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const result = await this.tasks.heartbeat(req.actor!, withTask(id, payload), commandId);
    return { status: 'ok', lease_expires_at: result.leaseExpiresAt };
  }

  @Post(':id/release')
  @HttpCode(200)
  async release(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const task = await this.tasks.release(req.actor!, withTask(id, payload), commandId);
    return { status: 'ok', task_status: task.status };
  }

  @Post(':id/status')
  @HttpCode(200)
  async status(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    const task = await this.tasks.changeStatus(req.actor!, withTask(id, payload), commandId);
    return { status: 'ok', task_status: task.status };
  }
}
