import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { CliError, ExitCodes } from './cli-error';
import { resolveConnection } from './connection';
import { budgetLine, costOf, dollars, features, n, projectUsageLines, runStatus } from './format';
import { followRun, type Output } from './follow';
import { GatewayClient } from './gateway-client';
import type { AllUsage, Budget, LogLine, Project, ProjectUsage, Run } from './views';

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
      // Every project's cost in one call; without the usage service the overview goes on without it.
      const usage = await gateway.request<AllUsage>('GET', '/api/usage').catch(() => null);
      const spent = new Map(usage?.by_project.map((row) => [row.key, row]) ?? []);
      for (const p of projects) {
        const runs = await gateway.request<Run[]>('GET', `/api/projects/${p.id}/agent-runs`);
        const newest = runs.sort((a, b) => b.started_at.localeCompare(a.started_at))[0];
        const row = spent.get(p.id);
        const cost = usage ? `, ${row ? costOf(row.cost_usd, row.unknown_model_calls) : dollars('0')} in all` : '';
        output.out(`${p.name} (${p.id}): features ${features(p.feature_counts)}${cost}`);
        // The run itself (not the list's row) carries its cost.
        const latest = newest && (await gateway.request<Run>('GET', `/api/agent-runs/${newest.id}`));
        output.out(latest ? `  latest run ${latest.id}: ${latest.status}, tokens ${n(latest.usage.total)}, ${dollars(latest.cost_usd)}` : '  no runs yet');
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

  program
    .command('usage [projectId]')
    .description("a project's tokens and cost, in all and by feature; without a project, every project's")
    .action(async (projectId?: string) => {
      const gateway = client();
      if (projectId) {
        const usage = await gateway.request<ProjectUsage>('GET', `/api/projects/${encodeURIComponent(projectId)}/usage`);
        for (const line of projectUsageLines(usage.project_id, usage.totals, usage.by_feature)) output.out(line);
        return;
      }
      const usage = await gateway.request<AllUsage>('GET', '/api/usage');
      output.out(`all projects: ${n(usage.totals.calls)} model calls, ${costOf(usage.totals.cost_usd, usage.totals.unknown_model_calls)}`);
      for (const row of usage.by_project) output.out(`  ${dollars(row.cost_usd)}  ${n(row.calls)} calls  ${n(row.usage.total)} tokens  ${row.label ? `${row.label} (${row.key})` : row.key}`);
    });

  program
    .command('budget <projectId>')
    .description("set a budget in dollars (the project's, or a run's or feature's with --run/--feature); without --soft/--hard, list the project's budgets")
    .option('--soft <usd>', 'warn past this many dollars ("none" clears it)')
    .option('--hard <usd>', 'stop spending at this many dollars: its runs pause ("none" clears it)')
    .option('--run <runId>', "the budget of one run of the project")
    .option('--feature <featureId>', 'the budget of one feature of the project')
    .action(async (projectId: string, opts: { soft?: string; hard?: string; run?: string; feature?: string }) => {
      const gateway = client();
      const project = encodeURIComponent(projectId);
      if (opts.run && opts.feature) throw new CliError('give --run or --feature, not both: a budget limits one thing');
      if (opts.soft === undefined && opts.hard === undefined) {
        if (opts.run || opts.feature) throw new CliError('give --soft, --hard or both to set a budget');
        const budgets = await gateway.request<Budget[]>('GET', `/api/projects/${project}/budgets`);
        if (!budgets.length) return output.out(`no budgets for project ${projectId}: autocoder budget ${projectId} --hard <usd>`);
        for (const b of budgets) output.out(budgetLine(b));
        return;
      }
      // Dollars go as the strings given: the gateway checks them exactly (and names a bad one).
      const limit = (value: string) => (value === 'none' ? null : value);
      const body = { ...(opts.soft !== undefined ? { soft_usd: limit(opts.soft) } : {}), ...(opts.hard !== undefined ? { hard_usd: limit(opts.hard) } : {}) };
      let path = `/api/projects/${project}/budget`;
      if (opts.feature) path = `/api/projects/${project}/features/${encodeURIComponent(opts.feature)}/budget`;
      if (opts.run) {
        const run = await gateway.request<Run>('GET', `/api/agent-runs/${encodeURIComponent(opts.run)}`);
        if (run.project_id !== projectId) throw new CliError(`run ${run.id} belongs to project ${run.project_id}, not ${projectId}; nothing was set`);
        path = `/api/agent-runs/${encodeURIComponent(opts.run)}/budget`;
      }
      output.out(budgetLine(await gateway.request<Budget>('PUT', path, body)));
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
    output.out(`run ${run.id} ended: ${run.status}${run.completion ? ` (${run.completion})` : ''}; features ${features(run.feature_counts)}; tokens ${n(run.usage.total)}; ${dollars(run.cost_usd)}`);
    if (run.status === 'failed') throw new CliError(`run ${run.id} failed${run.reason ? `: ${run.reason}` : ''}`, ExitCodes.failed);
  };

  return program;
}
