import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, ExitCodes } from './cli-error';
import { resolveConnection } from './connection';
import { features, n, runStatus } from './format';
import { followRun, type Output } from './follow';
import { GatewayClient } from './gateway-client';
import type { LogLine, Project, Run } from './views';

const whole = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError(`${name} must be a whole number`);
  return Number(value);
};

const EXIT_CODES_HELP = `
Connection: --url, AUTOCODER_URL, or http://127.0.0.1:4000; token: --token, AUTOCODER_TOKEN,
AUTOCODER_ADMIN_TOKEN, or the admin-token file in AUTOCODER_HOME (./.autocoder by default).

Exit codes: 0 done, 1 refused or failed, 2 gateway unreachable, 3 token refused or not allowed, 4 not found.`;

/** The `autocoder` command line; `output` is where it writes (a terminal, or a test). */
export function buildProgram(output: Output & { err: (line: string) => void }): Command {
  const program = new Command('autocoder')
    .description('Register projects and start, watch and steer agent runs on a running Autocoder gateway.')
    .option('--url <url>', 'the gateway, e.g. http://127.0.0.1:4000')
    .option('--token <token>', 'the admin token (or an agent key, to read)')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError('(autocoder <command> --help shows its options)')
    .configureOutput({ writeOut: (s) => output.out(s.trimEnd()), writeErr: (s) => output.err(s.trimEnd()) });

  const client = () => new GatewayClient(resolveConnection(program.opts<{ url?: string; token?: string }>()));

  const project = program.command('project').description('projects: an app spec and a workspace');
  project
    .command('add <name>')
    .description('register a project')
    .requiredOption('--spec <file>', 'the app spec (a text or markdown file)')
    .option('--path <dir>', 'workspace folder on the runner (default AUTOCODER_HOME/projects/<id>)')
    .option('--repo <url>', 'a repository to clone into the workspace')
    .option('--network', 'let sandbox commands use the network', false)
    .action(async (name: string, opts: { spec: string; path?: string; repo?: string; network: boolean }) => {
      let spec: string;
      try {
        spec = readFileSync(opts.spec, 'utf8');
      } catch (error) {
        throw new CliError(`cannot read the spec file ${opts.spec}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
      }
      const body = { name, spec, network: opts.network, ...(opts.path ? { path: resolve(opts.path) } : {}), ...(opts.repo ? { repository_url: opts.repo } : {}) };
      const created = await client().request<Project>('POST', '/api/projects', body);
      output.out(`registered project ${created.name}: ${created.id}`);
      output.out(`  workspace ${created.path}${created.repository_url ? ` (from ${created.repository_url})` : ''}`);
    });
  project
    .command('list')
    .description('list projects with their features passing')
    .action(async () => {
      const projects = await client().request<Project[]>('GET', '/api/projects');
      if (!projects.length) return output.out('no projects yet: autocoder project add <name> --spec <file>');
      for (const p of projects) output.out(`${p.id}  ${p.name}  features ${features(p.feature_counts)}  ${p.path}`);
    });

  program
    .command('run <projectId>')
    .description('start an agent run of a project')
    .option('--yolo', 'skip the test gate (every passing mark says so)', false)
    .option('--model <model>', 'the Claude model')
    .option('--max-sessions <n>', 'most sessions (1-1000)', whole('--max-sessions'))
    .option('--max-tokens <n>', 'most input plus output tokens, 0 for no limit', whole('--max-tokens'))
    .option('--follow', 'follow its log until it ends', false)
    .action(async (projectId: string, opts: { yolo: boolean; model?: string; maxSessions?: number; maxTokens?: number; follow: boolean }) => {
      const gateway = client();
      const body = { yolo: opts.yolo, ...(opts.model ? { model: opts.model } : {}), ...(opts.maxSessions !== undefined ? { max_sessions: opts.maxSessions } : {}), ...(opts.maxTokens !== undefined ? { max_tokens: opts.maxTokens } : {}) };
      const run = await gateway.request<Run>('POST', `/api/projects/${encodeURIComponent(projectId)}/agent-runs`, body);
      output.out(`started run ${run.id} (${run.status}, model ${run.model}${run.yolo ? ', yolo' : ''})`);
      if (opts.follow) await finish(await followRun(gateway, run.id, {}, output));
    });

  program
    .command('status [runId]')
    .description("a run's status, features passing and tokens by bucket; without a run, each project's latest run")
    .action(async (runId?: string) => {
      const gateway = client();
      if (runId) {
        for (const line of runStatus(await gateway.request<Run>('GET', `/api/agent-runs/${encodeURIComponent(runId)}`))) output.out(line);
        return;
      }
      const projects = await gateway.request<Project[]>('GET', '/api/projects');
      if (!projects.length) return output.out('no projects yet');
      for (const p of projects) {
        const runs = await gateway.request<Run[]>('GET', `/api/projects/${p.id}/agent-runs`);
        const latest = runs.sort((a, b) => b.started_at.localeCompare(a.started_at))[0];
        output.out(`${p.name} (${p.id}): features ${features(p.feature_counts)}`);
        output.out(latest ? `  latest run ${latest.id}: ${latest.status}, tokens ${n(latest.usage.total)}` : '  no runs yet');
      }
    });

  program
    .command('logs <runId>')
    .description("a run's log; --follow streams it live until the run ends")
    .option('--follow', 'stream entries as they happen, with a progress line', false)
    .addOption(new Option('--level <level>', 'only this level and above').choices(['debug', 'info', 'warn', 'error']))
    .action(async (runId: string, opts: { follow: boolean; level?: string }) => {
      const gateway = client();
      if (opts.follow) return finish(await followRun(gateway, runId, { level: opts.level }, output));
      const query = opts.level ? `?level=${opts.level}` : '';
      const lines = await gateway.request<LogLine[]>('GET', `/api/agent-runs/${encodeURIComponent(runId)}/logs${query}`);
      for (const l of lines) output.out(`${l.at} ${l.level.padEnd(5)} ${l.msg}`);
    });

  for (const [verb, described] of [
    ['pause', 'pause a run after its current step'],
    ['resume', 'resume a paused run'],
    ['stop', 'stop a run for good'],
  ] as const) {
    program
      .command(`${verb} <runId>`)
      .description(described)
      .option('--reason <text>', 'why, kept on the run')
      .action(async (runId: string, opts: { reason?: string }) => {
        const run = await client().request<Run>('POST', `/api/agent-runs/${encodeURIComponent(runId)}/${verb}`, opts.reason ? { reason: opts.reason } : {});
        output.out(`run ${run.id}: ${run.status}`);
      });
  }

  const finish = async (run: Run) => {
    output.out(`run ${run.id} ended: ${run.status}${run.completion ? ` (${run.completion})` : ''}; features ${features(run.feature_counts)}; tokens ${n(run.usage.total)}`);
    if (run.status === 'failed') throw new CliError(`run ${run.id} failed${run.reason ? `: ${run.reason}` : ''}`, ExitCodes.failed);
  };

  return program;
}
