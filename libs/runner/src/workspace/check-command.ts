import * as path from 'node:path';
import type { Node } from 'web-tree-sitter';
import { parseBash } from './bash-grammar';
import { DEV_PROCESSES, type CommandPolicy } from './command-policy';
import { resolveInside } from './path-guard';

export type CommandCheck = { allowed: true } | { allowed: false; reason: string };

/** How deep `bash -c '… bash -c …'` may nest before it is refused. */
const MAX_DEPTH = 3;

/** Redirection targets outside the workspace that are harmless to write to. */
const DEVICES = new Set(['/dev/null', '/dev/stdout', '/dev/stderr']);

/** Variables that would change which program a checked name runs, or what the shell does. */
const UNSAFE_VARIABLE = /^(PATH|LD_.*|BASH_ENV|ENV|IFS|SHELLOPTS|BASHOPTS|PROMPT_COMMAND|PS4|CDPATH|BASH_FUNC_.*)$/;

/** Commands whose path arguments must stay inside the workspace, with the flags each may take. */
const PATH_COMMANDS: Record<string, { short: string; long: readonly string[] }> = {
  cp: { short: 'rRfinpavuLPdH', long: ['--recursive', '--force', '--no-clobber', '--preserve', '--archive', '--verbose', '--parents'] },
  mv: { short: 'finvu', long: ['--force', '--no-clobber', '--verbose', '--update'] },
  rm: { short: 'rRfvd', long: ['--recursive', '--force', '--verbose', '--dir'] },
  mkdir: { short: 'pv', long: ['--parents', '--verbose'] },
};

/** A word of the command line as far as it can be known without running anything. */
interface Word {
  text: string;
  /** The literal value, or null when it holds an expansion (`$X`, `$(…)`, `~`, `{a,b}`, `$'…'`). */
  value: string | null;
  /** Unquoted `*`, `?` or `[`: the shell will expand it to file names. */
  glob: boolean;
}

/** `{a,b}` and `{1..3}` expand to several words; `{}` (xargs, find) stays as it is. */
const BRACE_EXPANSION = /\{[^}]*(,|\.\.)[^}]*\}/;

class Refusal extends Error {}
const refuse = (reason: string): never => {
  throw new Refusal(reason);
};

function wordOf(node: Node): Word {
  const text = node.text;
  switch (node.type) {
    case 'word': {
      const dynamic = text.startsWith('~') || BRACE_EXPANSION.test(text);
      const glob = /(^|[^\\])[*?[]/.test(text);
      return { text, value: dynamic ? null : text.replace(/\\(.)/gs, '$1'), glob };
    }
    case 'number':
      return { text, value: text, glob: false };
    case 'raw_string':
      return { text, value: text.slice(1, -1), glob: false };
    case 'string': {
      const literal = node.namedChildren.every((c) => c?.type === 'string_content');
      return { text, value: literal ? text.slice(1, -1).replace(/\\([$`"\\\n])/g, '$1') : null, glob: false };
    }
    case 'concatenation': {
      const parts = node.namedChildren.filter((c): c is Node => c !== null).map(wordOf);
      const dynamic = parts.some((p) => p.value === null) || BRACE_EXPANSION.test(text);
      return { text, value: dynamic ? null : parts.map((p) => p.value).join(''), glob: parts.some((p) => p.glob) };
    }
    default:
      return { text, value: null, glob: false };
  }
}

const quote = (text: string): string => `\`${text.length > 120 ? `${text.slice(0, 117)}...` : text}\``;

class Checker {
  constructor(
    private readonly policy: CommandPolicy,
    private readonly depth: number,
  ) {}

  async program(source: string): Promise<void> {
    const tree = await parseBash(source);
    try {
      const root = tree.rootNode;
      if (root.hasError) refuse(`${quote(source)}: cannot be parsed as a shell command (syntax error); refused`);
      await this.visit(root);
    } finally {
      tree.delete();
    }
  }

  private async visit(node: Node): Promise<void> {
    switch (node.type) {
      case 'command':
        await this.command(node);
        break;
      case 'file_redirect':
        this.redirect(node);
        break;
      case 'variable_assignment':
        this.assignment(node);
        break;
      case 'declaration_command': {
        const keyword = node.child(0)?.text ?? '';
        if (keyword !== 'export') this.notAllowed(keyword);
        break;
      }
      case 'unset_command':
        this.notAllowed(node.child(0)?.text ?? 'unset');
        break;
      case 'function_definition':
        refuse(`${quote(node.text)}: defining shell functions is not allowed; run the commands directly`);
        break;
    }
    for (const child of node.namedChildren) if (child) await this.visit(child);
  }

  private notAllowed(name: string): never {
    if (name === 'cd' || name === 'pushd') {
      refuse(`\`${name}\` is not allowed: commands run in the workspace root; give paths from there (\`npm --prefix web test\`, \`git -C sub status\`, \`ls web/src\`)`);
    }
    return refuse(`\`${name}\` is not in the allowed commands (allowed: ${[...this.policy.commands].sort().join(', ')})`);
  }

  private assignment(node: Node): void {
    const name = node.childForFieldName('name')?.text ?? '';
    if (UNSAFE_VARIABLE.test(name)) refuse(`${quote(node.text)}: setting ${name} is not allowed (it changes which programs run)`);
  }

  private redirect(node: Node): void {
    const destination = node.childForFieldName('destination');
    if (!destination || destination.type === 'number') return; // 2>&1, 2>&-
    const operator = node.children.find((c) => c && !c.isNamed)?.text ?? '>';
    const target = wordOf(destination);
    if ((operator === '>&' || operator === '<&') && target.value === '-') return;
    let statement: Node | null = node.parent;
    while (statement && statement.type !== 'redirected_statement' && statement.type !== 'command') statement = statement.parent;
    const where = quote((statement ?? node).text);
    if (target.value === null || target.glob) refuse(`${where}: redirection target ${quote(target.text)} is an expansion; its path cannot be checked`);
    if (DEVICES.has(target.value as string)) return;
    const resolved = resolveInside(this.policy.root, target.value as string, { write: operator !== '<' });
    if (!resolved.ok) {
      refuse(
        resolved.reason.includes('protected')
          ? `${where}: redirection into a protected folder (${resolved.reason})`
          : `${where}: redirection to a path outside the workspace (${resolved.reason})`,
      );
    }
  }

  private async command(node: Node): Promise<void> {
    const nameNode = node.childForFieldName('name');
    if (!nameNode) return;
    const words = [nameNode.namedChildren[0] ?? nameNode, ...node.childrenForFieldName('argument')]
      .filter((w): w is Node => w !== null)
      .map(wordOf);
    await this.simple(words, node.text, false);
  }

  /** One command as a list of words: the name, then its arguments. */
  private async simple(words: Word[], text: string, fromInput: boolean): Promise<void> {
    const [name, ...args] = words;
    if (!name) return;
    if (name.value === null || name.glob) {
      refuse(`${quote(text)}: the command name ${quote(name.text)} is an expansion; write the command name literally`);
    }
    const command = name.value as string;
    switch (command) {
      case 'env':
        return this.env(args, text, fromInput);
      case 'timeout':
        return this.timeout(args, text, fromInput);
      case 'nice':
        return this.nice(args, text, fromInput);
      case 'nohup':
        return this.simple(args, text, fromInput);
      case 'xargs':
        return this.xargs(args, text);
      case 'bash':
      case 'sh':
        return this.shell(command, args, text);
    }
    if (!this.policy.commands.has(command)) this.notAllowed(command);
    if (command === 'pkill') this.pkill(args, text, fromInput);
    else if (command === 'chmod') this.chmod(args, text, fromInput);
    else if (PATH_COMMANDS[command]) this.pathCommand(command, args, text, fromInput);
  }

  private env(args: Word[], text: string, fromInput: boolean): Promise<void> {
    let i = 0;
    for (; i < args.length; i++) {
      const v = args[i].value;
      if (v === '-i' || v === '--ignore-environment' || v === '--') continue;
      if (v === '-u' || v === '--unset') {
        i++;
        continue;
      }
      if (v === null) refuse(`${quote(text)}: env argument ${quote(args[i].text)} is an expansion; it cannot be checked`);
      if ((v as string).startsWith('-')) refuse(`${quote(text)}: env option ${quote(v as string)} is not allowed (only -i, -u NAME)`);
      const eq = (v as string).indexOf('=');
      if (eq <= 0) break;
      const variable = (v as string).slice(0, eq);
      if (UNSAFE_VARIABLE.test(variable)) refuse(`${quote(text)}: setting ${variable} is not allowed (it changes which programs run)`);
    }
    return this.simple(args.slice(i), text, fromInput);
  }

  private timeout(args: Word[], text: string, fromInput: boolean): Promise<void> {
    let i = 0;
    for (; i < args.length; i++) {
      const v = args[i].value ?? '';
      if (['--preserve-status', '--foreground', '-v', '--verbose'].includes(v) || /^--(signal|kill-after)=/.test(v)) continue;
      if (v === '-s' || v === '-k' || v === '--signal' || v === '--kill-after') {
        i++;
        continue;
      }
      if (v.startsWith('-')) refuse(`${quote(text)}: timeout option ${quote(v)} is not allowed`);
      break;
    }
    if (!/^\d+(\.\d+)?[smhd]?$/.test(args[i]?.value ?? '')) refuse(`${quote(text)}: timeout needs a literal duration before the command`);
    return this.simple(args.slice(i + 1), text, fromInput);
  }

  private nice(args: Word[], text: string, fromInput: boolean): Promise<void> {
    let i = 0;
    const v = args[0]?.value ?? '';
    if (v === '-n') i = 2;
    else if (/^(-\d+|-n\d+|--adjustment=-?\d+)$/.test(v)) i = 1;
    else if (v.startsWith('-')) refuse(`${quote(text)}: nice option ${quote(v)} is not allowed`);
    return this.simple(args.slice(i), text, fromInput);
  }

  private xargs(args: Word[], text: string): Promise<void> {
    const flags = new Set(['-0', '-r', '-t', '-x', '--null', '--no-run-if-empty', '--verbose', '--exit']);
    const withValue = new Set(['-n', '-L', '-P', '-s', '-d', '-E', '-I', '-a']);
    let i = 0;
    for (; i < args.length; i++) {
      const v = args[i].value;
      if (v === null) refuse(`${quote(text)}: xargs argument ${quote(args[i].text)} is an expansion; it cannot be checked`);
      const s = v as string;
      if (!s.startsWith('-')) break;
      if (s === '--') {
        i++;
        break;
      }
      if (flags.has(s)) continue;
      if (withValue.has(s)) {
        i++;
        continue;
      }
      if (withValue.has(s.slice(0, 2))) continue; // glued: -n1, -I{}
      refuse(`${quote(text)}: xargs option ${quote(s)} is not allowed`);
    }
    const rest = args.slice(i);
    return this.simple(rest.length ? rest : [{ text: 'echo', value: 'echo', glob: false }], text, true);
  }

  /** `bash -c '<script>'`: the script is parsed and checked like the command itself. */
  private async shell(shell: string, args: Word[], text: string): Promise<void> {
    let i = 0;
    let sawC = false;
    for (; i < args.length; i++) {
      const v = args[i].value ?? '';
      if (!/^-[ceux]+$/.test(v)) break;
      if (v.includes('c')) sawC = true;
    }
    const script = args[i];
    if (!sawC || !script) refuse(`${quote(text)}: \`${shell}\` runs only as \`${shell} -c '<script>'\`, whose script is checked`);
    if (script.value === null) refuse(`${quote(text)}: the script of \`${shell} -c\` is an expansion; write it literally so it can be checked`);
    if (this.depth >= MAX_DEPTH) refuse(`${quote(text)}: \`${shell} -c\` nested more than ${MAX_DEPTH} deep`);
    await new Checker(this.policy, this.depth + 1).program(script.value as string);
  }

  private pkill(args: Word[], text: string, fromInput: boolean): void {
    if (!this.policy.ownPidNamespace) {
      refuse(`${quote(text)}: pkill is allowed only inside the sandbox (outside it, it could stop the runner itself)`);
    }
    if (fromInput) refuse(`${quote(text)}: pkill targets from input cannot be checked`);
    const targets = args.filter((a) => !(a.value ?? '').startsWith('-'));
    if (targets.length === 0) refuse(`${quote(text)}: pkill needs a process name (one of ${DEV_PROCESSES.join(', ')})`);
    for (const target of targets) {
      const program = path.basename((target.value ?? '').trim().split(/\s+/)[0] ?? '');
      if (target.value === null || !DEV_PROCESSES.includes(program)) {
        refuse(`${quote(text)}: pkill may stop only dev processes (${DEV_PROCESSES.join(', ')}), not ${quote(target.text)}`);
      }
    }
  }

  private chmod(args: Word[], text: string, fromInput: boolean): void {
    if (fromInput) refuse(`${quote(text)}: chmod's files from input cannot be checked`);
    const [mode, ...files] = args;
    if (!mode || !/^[ugoa]*\+x$/.test(mode.value ?? '')) {
      refuse(`${quote(text)}: chmod is allowed only to make files executable (\`chmod +x file\`, \`u+x\`)`);
    }
    if (files.length === 0) refuse(`${quote(text)}: chmod needs a file`);
    for (const file of files) this.pathArgument('chmod', file, text);
  }

  private pathCommand(command: string, args: Word[], text: string, fromInput: boolean): void {
    if (fromInput) refuse(`${quote(text)}: ${command}'s paths from input cannot be checked; name them literally`);
    const { short, long } = PATH_COMMANDS[command];
    let options = true;
    const paths: Word[] = [];
    for (const arg of args) {
      const v = arg.value;
      if (options && v === '--') {
        options = false;
        continue;
      }
      if (options && v !== null && v.startsWith('-') && v !== '-') {
        const known = v.startsWith('--') ? long.includes(v) : [...v.slice(1)].every((c) => short.includes(c));
        if (!known) refuse(`${quote(text)}: option ${quote(v)} of ${command} is not allowed`);
        continue;
      }
      paths.push(arg);
    }
    for (const p of paths) {
      const rel = this.pathArgument(command, p, text);
      if ((command === 'rm' || command === 'mv') && rel === '.') refuse(`${quote(text)}: ${command} of the workspace root itself is not allowed`);
    }
  }

  /** A path argument must resolve inside the workspace (a glob: its fixed folder part must). */
  private pathArgument(command: string, arg: Word, text: string): string {
    if (arg.value === null) refuse(`${quote(text)}: ${command} argument ${quote(arg.text)} is an expansion; its path cannot be checked`);
    let p = arg.value as string;
    if (arg.glob) {
      const fixed = p.slice(0, p.search(/[*?[]/));
      p = fixed.includes('/') ? fixed.slice(0, fixed.lastIndexOf('/') + 1) || '/' : '.';
    }
    const resolved = resolveInside(this.policy.root, p, { write: true });
    if (!resolved.ok) refuse(`${quote(text)}: ${resolved.reason}`);
    return (resolved as { rel: string }).rel;
  }
}

/**
 * Checks a bash command line against the policy before it runs: every command anywhere in it
 * (pipelines, lists, subshells, groups, `$(…)` and backticks, also inside strings, process
 * substitution, `bash -c` scripts, the commands that env/xargs/timeout/nice/nohup run) must be
 * allowed, with literal names; redirections and path arguments must stay in the workspace; what
 * does not parse is refused. The shlex check of the quickstart only looks at the words it splits,
 * so `ls $(rm -rf /)`, `ls` newline `rm x` and `cat x > /etc/passwd` pass it; all three fail here.
 */
export async function checkCommand(command: string, policy: CommandPolicy): Promise<CommandCheck> {
  if (typeof command !== 'string' || command.trim() === '') return { allowed: false, reason: 'the command is empty' };
  if (command.includes('\0')) return { allowed: false, reason: 'the command contains a NUL byte' };
  try {
    await new Checker(policy, 0).program(command);
    return { allowed: true };
  } catch (error) {
    if (error instanceof Refusal) return { allowed: false, reason: error.message };
    throw error;
  }
}
