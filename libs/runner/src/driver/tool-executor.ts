import type { FeatureEvidence, FeatureStatus } from '@autocoder/contracts';
import { parseToolInput, type ToolCall } from '../agent';
import type { FeatureDraft } from '../projects/project';
import type { ToolResult, Workspace } from '../workspace';

/** What a tool call produced, as the session records it. */
export interface ToolOutcome extends ToolResult {
  exitCode: number | null;
  changedFiles: boolean;
}

/** The feature tools' view of the project and the session: implemented by the session driver. */
export interface FeatureToolHost {
  readonly kind: 'initializer' | 'coding';
  /** The feature this coding session claimed. */
  readonly featureId: string | null;
  readonly yolo: boolean;
  stats(): Promise<Record<string, number>>;
  feature(featureId: string): Promise<Record<string, unknown> | null>;
  /** The green command after the last change, or null when the gate is closed. */
  gateEvidence(): Promise<{ command: string; outputTail: string } | null>;
  changeStatus(featureId: string, to: FeatureStatus, reason: string | null, evidence: FeatureEvidence | null): Promise<void>;
  defineFeatures(features: FeatureDraft[]): Promise<string[]>;
}

const json = (value: unknown): ToolOutcome => {
  const content = JSON.stringify(value);
  return { isError: false, content, originalBytes: Buffer.byteLength(content), truncated: false, exitCode: null, changedFiles: false };
};
const refuse = (message: string): ToolOutcome => ({ isError: true, content: message, originalBytes: Buffer.byteLength(message), truncated: false, exitCode: null, changedFiles: false });
const fromWorkspace = (result: ToolResult, changedFiles = false): ToolOutcome => ({ ...result, exitCode: null, changedFiles: changedFiles && !result.isError });

/**
 * Runs one tool call of the model: the input is parsed against the tool's schema first (a bad one is
 * an is_error result naming the field), file and shell tools go to the workspace, feature tools to
 * the project. Nothing here throws for the model's mistakes: they are results it can act on.
 */
export class ToolExecutor {
  constructor(
    private readonly workspace: Workspace,
    private readonly host: FeatureToolHost,
    private readonly allowedTools: readonly string[],
  ) {}

  async execute(name: string, input: unknown, signal: AbortSignal): Promise<ToolOutcome> {
    const parsed = parseToolInput(name, input, this.allowedTools);
    if (!parsed.ok) return refuse(parsed.error);
    try {
      return await this.run(parsed.tool, signal);
    } catch (error) {
      return refuse(`${name} failed: ${(error as Error).message}`);
    }
  }

  private async run(tool: ToolCall, signal: AbortSignal): Promise<ToolOutcome> {
    const ws = this.workspace;
    switch (tool.name) {
      case 'read_file':
        return fromWorkspace(await ws.readFile(tool.input.path));
      case 'write_file':
        return fromWorkspace(await ws.writeFile(tool.input.path, tool.input.content), true);
      case 'edit_file':
        return fromWorkspace(await ws.editFile(tool.input.path, tool.input.old_string, tool.input.new_string), true);
      case 'list_files':
        return fromWorkspace(await ws.listFiles(tool.input.path));
      case 'search_files':
        return fromWorkspace(await ws.searchFiles(tool.input.pattern, tool.input.path));
      case 'bash': {
        const result = await ws.bash(tool.input.command, { timeoutSec: tool.input.timeout_sec, signal });
        return { ...result, exitCode: result.exitCode, changedFiles: false };
      }
      case 'feature_get_stats':
        return json(await this.host.stats());
      case 'feature_get_next': {
        if (!this.host.featureId) return refuse('this session has no claimed feature: the initializer defines features with feature_create_bulk');
        return json(await this.host.feature(this.host.featureId));
      }
      case 'feature_mark_in_progress':
        return this.mark(tool.input.feature_id, 'in_progress', null);
      case 'feature_mark_failing':
        return this.mark(tool.input.feature_id, 'failing', tool.input.reason);
      case 'feature_skip':
        return this.mark(tool.input.feature_id, 'skipped', tool.input.reason);
      case 'feature_mark_passing':
        return this.markPassing(tool.input.feature_id, tool.input.evidence);
      case 'feature_create_bulk': {
        const ids = await this.host.defineFeatures(
          tool.input.features.map((f) => ({ category: f.category, name: f.name, description: f.description, steps: f.steps, priority: f.priority, dependsOn: f.depends_on })),
        );
        return json({ created: ids.length, feature_ids: ids });
      }
    }
  }

  private ownFeature(featureId: string): string | null {
    if (this.host.featureId === featureId) return null;
    return this.host.featureId
      ? `feature ${featureId} is not this session's feature: this session works on ${this.host.featureId} (see feature_get_next)`
      : 'this session has no claimed feature to mark';
  }

  private async mark(featureId: string, to: FeatureStatus, reason: string | null): Promise<ToolOutcome> {
    const wrong = this.ownFeature(featureId);
    if (wrong) return refuse(wrong);
    await this.host.changeStatus(featureId, to, reason, null);
    return json({ feature_id: featureId, status: to });
  }

  /** The test gate: passing needs a command that exited 0 after the session's last file change (unless YOLO). */
  private async markPassing(featureId: string, note: string): Promise<ToolOutcome> {
    const wrong = this.ownFeature(featureId);
    if (wrong) return refuse(wrong);
    if (this.host.yolo) {
      await this.host.changeStatus(featureId, 'passing', 'YOLO mode: the test gate was skipped', { command: null, exitCode: null, outputTail: '', note });
      return json({ feature_id: featureId, status: 'passing', yolo: true, gate: 'skipped (YOLO mode)' });
    }
    const green = await this.host.gateEvidence();
    if (!green) {
      return refuse(
        'test gate: no command exited 0 after the last file change of this session. Run the feature\'s tests with bash (after your last edit), then mark it passing again.',
      );
    }
    await this.host.changeStatus(featureId, 'passing', null, { command: green.command, exitCode: 0, outputTail: green.outputTail, note });
    return json({ feature_id: featureId, status: 'passing', evidence: { command: green.command } });
  }
}
