import { AutocoderError, ErrorCodes, SetBudgetInput, uuid, type Actor, type BudgetScope, type BudgetView } from '@autocoder/contracts';
import { Injectable } from '@nestjs/common';
import { RunnerClient } from '../runner/runner-client';
import { UsageClient, parseBudget, requireAdminForUsage } from './usage-client';

// What a caller gives (the scope and ids come from the path or the mutation's own arguments).
const BudgetLimits = SetBudgetInput.pick({ softUsd: true, hardUsd: true });

/**
 * Setting a budget on a project, a run or a feature: the limits checked first (a 400 before any
 * lookup), then its target found through the runner (a 404 for one that does not exist) and the
 * project it belongs to named for the usage service, which keys every budget by project.
 */
@Injectable()
export class BudgetTargets {
  constructor(
    private readonly runner: RunnerClient,
    private readonly usage: UsageClient,
  ) {}

  async set(actor: Actor, scope: BudgetScope, scopeId: string, projectId: string | undefined, limits: Record<string, unknown>, commandId?: string | null): Promise<BudgetView> {
    requireAdminForUsage(actor, 'setting a budget');
    const given = parseBudget(BudgetLimits, limits);
    // The id named as its path names it (project_id, run_id, feature_id), not as the budget's scopeId.
    if (!uuid().safeParse(scopeId).success) {
      throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid budget: ${scope}Id: must be a UUID`, [{ path: `${scope}Id`, message: 'must be a UUID' }]);
    }
    const owner = await this.projectOf(actor, scope, scopeId, projectId);
    return this.usage.setBudget(actor, { ...given, scope, scopeId, projectId: owner }, commandId);
  }

  private async projectOf(actor: Actor, scope: BudgetScope, scopeId: string, projectId: string | undefined): Promise<string> {
    if (scope === 'project') {
      if (projectId !== undefined && projectId !== scopeId) throw mismatch(`a project budget belongs to its own project (${scopeId})`);
      return (await this.runner.getProject(actor, scopeId)).projectId;
    }
    if (scope === 'run') {
      const run = await this.runner.getRun(actor, scopeId);
      if (projectId !== undefined && projectId !== run.projectId) throw mismatch(`run ${scopeId} belongs to project ${run.projectId}`);
      return run.projectId;
    }
    if (projectId === undefined) throw mismatch('give the project the feature belongs to');
    const features = await this.runner.listFeatures(actor, projectId);
    if (!features.some((f) => f.featureId === scopeId)) throw new AutocoderError(ErrorCodes.NotFound, `project ${projectId} has no feature ${scopeId}`);
    return projectId;
  }
}

const mismatch = (message: string) => new AutocoderError(ErrorCodes.ValidationFailed, `invalid budget: projectId: ${message}`, [{ path: 'projectId', message }]);
