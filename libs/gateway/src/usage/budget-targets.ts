import { AutocoderError, ErrorCodes, SetBudgetInput, uuid, type Actor, type BudgetScope, type BudgetView } from '@autocoder/contracts';
import { Injectable } from '@nestjs/common';
import { RunnerClient, requireAdmin } from '../runner/runner-client';
import { UsageClient, parseBudget } from './usage-client';

const BudgetTarget = SetBudgetInput.omit({ projectId: true });

/**
 * Setting a budget on a project, a run or a feature: the budget checked first (a 400 before any
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
    requireAdmin(actor, 'setting a budget');
    // The id named as its path names it (project_id, run_id, feature_id), not as the budget's scopeId.
    if (!uuid().safeParse(scopeId).success) {
      throw new AutocoderError(ErrorCodes.ValidationFailed, `invalid budget: ${scope}Id: must be a UUID`, [{ path: `${scope}Id`, message: 'must be a UUID' }]);
    }
    parseBudget(BudgetTarget, { ...limits, scope, scopeId });
    const owner = await this.projectOf(actor, scope, scopeId, projectId);
    return this.usage.setBudget(actor, { ...limits, scope, scopeId, projectId: owner }, commandId);
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
