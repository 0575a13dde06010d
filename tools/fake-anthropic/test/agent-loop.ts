// A tiny stand-in for the runner: the two-agent loop over the real SDK client, with the spec's tools
// executed for real in a directory (files, bash) and the feature tools kept in memory. It exists to
// prove the mathlib scripts produce working code; the runner is built elsewhere.
import type Anthropic from '@anthropic-ai/sdk';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { MODEL } from './helpers';

const names = [
  'read_file', 'write_file', 'edit_file', 'list_files', 'search_files', 'bash', 'feature_get_stats', 'feature_get_next',
  'feature_mark_in_progress', 'feature_mark_passing', 'feature_mark_failing', 'feature_skip', 'feature_create_bulk',
];
const toolDefs = (withCreate: boolean): Anthropic.Tool[] =>
  names.filter((n) => withCreate || n !== 'feature_create_bulk').map((name) => ({ name, description: `the ${name} tool`, input_schema: { type: 'object' } }));

export interface Feature {
  id: string;
  name: string;
  depends_on: string[];
  status: 'pending' | 'in_progress' | 'passing' | 'failing' | 'skipped';
  evidence?: string;
}

export class Project {
  readonly features: Feature[] = [];
  constructor(readonly dir: string) {}

  run(name: string, input: any): { content: string; is_error?: boolean } {
    switch (name) {
      case 'write_file':
        mkdirSync(dirname(join(this.dir, input.path)), { recursive: true });
        writeFileSync(join(this.dir, input.path), input.content);
        return { content: `wrote ${input.content.length} bytes to ${input.path}` };
      case 'read_file':
        try {
          return { content: readFileSync(join(this.dir, input.path), 'utf8') };
        } catch (error) {
          return { content: (error as Error).message, is_error: true };
        }
      case 'list_files':
        try {
          return { content: readdirSync(join(this.dir, input.path ?? '.')).join('\n') };
        } catch (error) {
          return { content: (error as Error).message, is_error: true };
        }
      case 'search_files':
        return { content: 'no matches' };
      case 'bash': {
        const result = spawnSync('bash', ['-c', input.command], { cwd: this.dir, encoding: 'utf8', timeout: 30_000 });
        return { content: `exit code: ${result.status}\n${result.stdout}${result.stderr}` };
      }
      case 'feature_create_bulk':
        for (const [i, f] of (input.features as any[]).entries()) {
          this.features.push({ id: `F${i + 1}`, name: f.name, depends_on: (f.depends_on ?? []).map((p: number) => `F${p + 1}`), status: 'pending' });
        }
        return { content: JSON.stringify({ created: this.features.map((f) => f.id) }) };
      case 'feature_get_stats':
        return { content: JSON.stringify({ total: this.features.length, passing: this.features.filter((f) => f.status === 'passing').length }) };
      case 'feature_get_next': {
        const ready = this.features.find((f) => f.status === 'pending' && f.depends_on.every((d) => this.features.find((g) => g.id === d)?.status === 'passing'));
        return { content: JSON.stringify(ready ? { id: ready.id, name: ready.name } : null) };
      }
      case 'feature_mark_in_progress':
      case 'feature_mark_passing':
      case 'feature_mark_failing':
      case 'feature_skip': {
        const feature = this.features.find((f) => f.id === input.feature_id);
        if (!feature) return { content: `no feature ${input.feature_id}`, is_error: true };
        feature.status = ({ feature_mark_in_progress: 'in_progress', feature_mark_passing: 'passing', feature_mark_failing: 'failing', feature_skip: 'skipped' } as const)[name];
        feature.evidence = input.evidence ?? input.reason;
        return { content: `feature ${feature.id} is ${feature.status}` };
      }
      default:
        return { content: `unknown tool ${name}`, is_error: true };
    }
  }
}

/**
 * One agent session: calls the model until it ends its turn; a moving cache breakpoint on the last block.
 * `session` goes into the first message, as a runner's session id would: without it two sessions'
 * first calls are the same request. Returns the model's answers.
 */
export async function runSession(client: Anthropic, project: Project, agent: 'initializer' | 'coding', session = 1, maxTurns = 60): Promise<Anthropic.Message[]> {
  const system = `You are the ${agent} agent of Autocoder. ${'Follow the project conventions. '.repeat(200)}`;
  const task = agent === 'initializer' ? 'INITIALIZER: set up the project from the spec.' : 'Implement the next feature.';
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: `${task} (session ${session})` }];
  const answers: Anthropic.Message[] = [];
  for (let i = 0; i < maxTurns; i++) {
    const last = messages[messages.length - 1];
    const content = typeof last.content === 'string' ? [{ type: 'text' as const, text: last.content }] : last.content;
    const marked = [...messages.slice(0, -1), { ...last, content: content.map((b, k) => (k === content.length - 1 ? { ...b, cache_control: { type: 'ephemeral' as const } } : b)) }];
    const message = await client.messages
      .stream({ model: MODEL, max_tokens: 8192, system, tools: toolDefs(agent === 'initializer'), messages: marked as Anthropic.MessageParam[] })
      .finalMessage();
    answers.push(message);
    messages.push({ role: 'assistant', content: message.content as Anthropic.ContentBlockParam[] });
    if (message.stop_reason !== 'tool_use') return answers;
    const results = message.content
      .filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')
      .map((b) => ({ type: 'tool_result' as const, tool_use_id: b.id, ...project.run(b.name, b.input) }));
    messages.push({ role: 'user', content: results });
  }
  throw new Error(`the ${agent} session did not end in ${maxTurns} turns`);
}
