import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Req } from '@nestjs/common';
import type { AuthenticatedRequest } from '../auth/request-context.middleware';
import { camelKeys } from '../rest/snake-case';
import { RunnerClient } from './runner-client';
import { restFeature, restProject, restRun } from './runner-rest';

/** A JSON object body with its keys in camelCase; an absent body is an empty one. */
export const bodyOf = (value: unknown) => (value && typeof value === 'object' && !Array.isArray(value) ? (camelKeys(value) as Record<string, unknown>) : {});

/**
 * Seed 002's project paths, answered with the objects themselves in snake_case (lists as arrays).
 * Agents' keys may read; the admin token registers, changes, syncs and starts runs.
 */
@Controller('api/projects')
export class ProjectsController {
  constructor(private readonly runner: RunnerClient) {}

  /** {name, spec, path?, repository_url?, network?} -> 201 and the project. */
  @Post()
  @HttpCode(201)
  async register(@Req() req: AuthenticatedRequest, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restProject(await this.runner.registerProject(req.actor!, bodyOf(payload), commandId));
  }

  @Get()
  async list(@Req() req: AuthenticatedRequest) {
    return (await this.runner.listProjects(req.actor!)).map(restProject);
  }

  @Get(':id')
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    return restProject(await this.runner.getProject(req.actor!, id));
  }

  /** {name?, spec?, network?} -> the project as it is now. */
  @Patch(':id')
  async update(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restProject(await this.runner.updateProject(req.actor!, { ...bodyOf(payload), projectId: id }, commandId));
  }

  @Get(':id/features')
  async features(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    return (await this.runner.listFeatures(req.actor!, id)).map(restFeature);
  }

  /** Imports the workspace's feature_list.json -> {imported, updated, unchanged}. */
  @Post(':id/features/sync')
  @HttpCode(200)
  async sync(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Headers('idempotency-key') commandId?: string) {
    return this.runner.syncFeatures(req.actor!, { projectId: id }, commandId);
  }

  @Get(':id/agent-runs')
  async runs(@Req() req: AuthenticatedRequest, @Param('id') id: string) {
    await this.runner.getProject(req.actor!, id); // an unknown project is a 404, not an empty list
    return (await this.runner.listRuns(req.actor!, { projectId: id })).map((run) => restRun(run));
  }

  /** {yolo?, model?, max_sessions?, max_turns_per_session?, max_tokens?} -> 201 and the run. */
  @Post(':id/agent-runs')
  @HttpCode(201)
  async start(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() payload: unknown, @Headers('idempotency-key') commandId?: string) {
    return restRun(await this.runner.startRun(req.actor!, { ...bodyOf(payload), projectId: id }, commandId));
  }
}
