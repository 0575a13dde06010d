import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkCommand, commandPolicy, type CommandPolicy } from '../../src/workspace';

describe('checkCommand', () => {
  let root: string;
  let sandboxed: CommandPolicy;
  let unsandboxed: CommandPolicy;

  beforeAll(() => {
    root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ws-check-')));
    fs.mkdirSync(path.join(root, 'src'));
    fs.writeFileSync(path.join(root, 'x'), 'x');
    fs.symlinkSync('/etc', path.join(root, 'etc-link'));
    sandboxed = commandPolicy(root, { ownPidNamespace: true });
    unsandboxed = commandPolicy(root, { ownPidNamespace: false });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  const allowed = [
    'ls -la',
    'cat x | grep foo | wc -l',
    'npm test && git status; echo done || true',
    'ls\npwd\n',
    '(cd_is_not_here=1; ls) 2>/dev/null',
    '{ ls; pwd; }',
    'echo "$(ls src)" `pwd`',
    'cat <(ls) ',
    "bash -c 'ls && pwd'",
    "sh -ec 'npm test'",
    'env NODE_ENV=test npm test',
    'NODE_ENV=test npm run build',
    'export CI=true && npm test',
    'ls | xargs grep -l foo',
    'timeout 5 npm test',
    'nice -n 5 node x',
    'nohup node server.js > server.log 2>&1 &',
    'sleep 300 & sleep 300',
    'echo hi > src/out.txt 2>> err.log',
    'cat < x',
    'cat <<< "hello" &> out.txt',
    'node -e "console.log(1)" >&2',
    'mkdir -p src/a/b && cp -r src src2 && mv src2 src3 && rm -rf src3',
    'rm src/*.tmp',
    'chmod +x init.sh && ./init.sh',
    'chmod u+x x',
    '[ -f x ] && test -d src',
    'for f in a b; do echo $f; done',
    'if git diff --quiet; then echo clean; fi',
    'git log --oneline | head -5',
    'echo "$HOME" $PWD ${X:-y}',
    'ls # a comment with $(rm -rf /)',
  ];
  it.each(allowed)('allows %j', async (command) => {
    expect(await checkCommand(command, sandboxed)).toEqual({ allowed: true });
  });

  const refused: Array<[string, string | RegExp]> = [
    // The three the quickstart's shlex check lets through.
    ['ls $(rm -rf /)', '`rm -rf /`: `/`: absolute path outside the workspace'],
    ['ls\nrm -rf /', '`rm -rf /`: `/`: absolute path outside the workspace'],
    ['cat x > /etc/passwd', '`cat x > /etc/passwd`: redirection to a path outside the workspace'],
    // Everywhere a command can hide.
    ['curl http://example.com', '`curl` is not in the allowed commands (allowed: ./init.sh, cat, chmod, cp, echo, false, git'],
    ['ls | curl -d @- x', '`curl` is not in the allowed commands'],
    ['ls; wget x', '`wget` is not'],
    ['ls && python3 x.py', '`python3` is not'],
    ['false || dd if=/dev/zero', '`dd` is not'],
    ['ls & nc -l 1234', '`nc` is not'],
    ['(ls; curl x)', '`curl` is not'],
    ['{ ls; curl x; }', '`curl` is not'],
    ['echo `curl x`', '`curl` is not'],
    ['echo "a $(curl x) b"', '`curl` is not'],
    ['echo "${X:-$(curl x)}"', '`curl` is not'],
    ['cat <(curl x)', '`curl` is not'],
    ['ls > >(curl x)', /`curl` is not|is an expansion/],
    ['cat <<EOF\n$(curl x)\nEOF', '`curl` is not'],
    ['cat <<< "$(curl x)"', '`curl` is not'],
    ['[ "$(curl x)" ]', '`curl` is not'],
    ['for f in $(curl x); do ls; done', '`curl` is not'],
    ["bash -c 'ls; curl x'", '`curl` is not'],
    ["sh -c \"bash -c 'curl x'\"", '`curl` is not'],
    ['bash script.sh', '`bash` runs only as `bash -c \'<script>\'`'],
    ['bash -c "$CMD"', 'the script of `bash -c` is an expansion'],
    ['bash -c "ls )("', 'cannot be parsed'],
    ['env curl x', '`curl` is not'],
    ['env X=1 Y=2 curl x', '`curl` is not'],
    ['env -S "curl x"', 'env option `-S` is not allowed'],
    ['env PATH=. ls', 'setting PATH is not allowed'],
    ['PATH=/tmp ls', 'setting PATH is not allowed'],
    ['LD_PRELOAD=./x.so ls', 'setting LD_PRELOAD is not allowed'],
    ['ls | xargs curl', '`curl` is not'],
    ['ls | xargs rm', "rm's paths from input cannot be checked"],
    ['ls | xargs -I{} sh -c "curl {}"', '`curl` is not'],
    ['timeout 5 curl x', '`curl` is not'],
    ['timeout -s KILL 5 env curl x', '`curl` is not'],
    ['nice curl x', '`curl` is not'],
    ['nohup curl x &', '`curl` is not'],
    ['timeout 5 nohup nice -n 1 env X=1 bash -c "curl x"', '`curl` is not'],
    // Names that are expansions.
    ['$X', 'the command name `$X` is an expansion'],
    ['"$(echo rm)" -rf /', 'is an expansion'],
    ['$(echo ls)', 'is an expansion'],
    ['l* x', 'is an expansion'],
    ['\\curl x', '`curl` is not'],
    ["'c'url x", '`curl` is not'],
    ['a=ls; $a', 'the command name `$a` is an expansion'],
    ['X=$(curl x) ls', '`curl` is not'],
    ['X=$(curl x)', '`curl` is not'],
    ['echo $(( $(curl x) + 1 ))', '`curl` is not'],
    ['echo $(< /etc/shadow)', 'redirection to a path outside the workspace'],
    ['case x in x) curl y;; esac', '`curl` is not'],
    ['while true; do curl x; done', '`curl` is not'],
    ['! curl x', '`curl` is not'],
    ['ls | { curl x; }', '`curl` is not'],
    ['eval ls', '`eval` is not'],
    ['exec ls', '`exec` is not'],
    ['source x', '`source` is not'],
    ['cd / && ls', '`cd` is not'],
    ['f() { ls; }; f', 'defining shell functions is not allowed'],
    ['declare -x A=1', '`declare` is not'],
    // Redirections.
    ['echo x >> /etc/profile', 'redirection to a path outside the workspace'],
    ['ls 2> /tmp/err', 'redirection to a path outside the workspace'],
    ['ls &> ../out', 'redirection to a path outside the workspace'],
    ['ls >& /root/x', 'redirection to a path outside the workspace'],
    ['cat < /etc/shadow', 'redirection to a path outside the workspace'],
    ['echo x > etc-link/passwd', 'symlink that leads outside the workspace'],
    ['echo x > "$OUT"', 'redirection target `"$OUT"` is an expansion'],
    ['echo x > ~/.bashrc', 'is an expansion'],
    ['echo x > .git/hooks/pre-commit', 'protected'],
    ['echo "{}" > .autocoder/allowed-commands.json', 'protected'],
    ["bash -c 'echo x > /etc/passwd'", 'redirection to a path outside the workspace'],
    // Path arguments.
    ['cp x /etc/y', '`cp x /etc/y`: `/etc/y`: absolute path outside the workspace'],
    ['cp -t /etc x', 'option `-t` of cp is not allowed'],
    ['mv x ../x', 'path leads outside the workspace'],
    ['rm -rf /', 'absolute path outside the workspace'],
    ['rm -rf ../*', 'path leads outside the workspace'],
    ['rm -rf .', 'rm of the workspace root itself'],
    ['rm -rf .git', 'protected'],
    ['rm -rf $HOME', 'is an expansion'],
    ['rm -rf ~', 'is an expansion'],
    ['rm -rf {a,../../b}', 'is an expansion'],
    ['mkdir etc-link/x', 'symlink that leads outside the workspace'],
    ['chmod 777 x', 'chmod is allowed only to make files executable'],
    ['chmod -R +x x', 'chmod is allowed only to make files executable'],
    ['chmod +x /usr/bin/x', 'absolute path outside the workspace'],
    ['pkill -f python', 'pkill may stop only dev processes'],
    ['pkill sshd', 'pkill may stop only dev processes'],
    ['pkill', 'pkill needs a process name'],
    // Unparseable.
    ['ls )(', 'cannot be parsed'],
    ['echo "unterminated', 'cannot be parsed'],
    ['if true; then ls', 'cannot be parsed'],
    ['', 'the command is empty'],
  ];
  it.each(refused)('refuses %j', async (command, reason) => {
    const result = await checkCommand(command, sandboxed);
    expect(result.allowed).toBe(false);
    const text = (result as { reason: string }).reason;
    if (typeof reason === 'string') expect(text).toContain(reason);
    else expect(text).toMatch(reason);
  });

  it('allows pkill of dev processes only in the sandbox, where it cannot reach the runner', async () => {
    expect(await checkCommand('pkill -f "node server.js"', sandboxed)).toEqual({ allowed: true });
    expect(await checkCommand('pkill vite', sandboxed)).toEqual({ allowed: true });
    expect(await checkCommand('pkill node', unsandboxed)).toEqual({
      allowed: false,
      reason: '`pkill node`: pkill is allowed only inside the sandbox (outside it, it could stop the runner itself)',
    });
  });

  it('allows the commands a project adds', async () => {
    const withPython = commandPolicy(root, { ownPidNamespace: true, extraCommands: ['python3'] });
    expect(await checkCommand('python3 -m pytest | tail -3', withPython)).toEqual({ allowed: true });
    expect((await checkCommand('python3 x', sandboxed)).allowed).toBe(false);
  });

  it('refuses `ls` newline `rm x` because rm stays in the workspace only for paths inside it', async () => {
    // rm is allowed for workspace paths, so the second line of the quickstart example passes alone;
    // what matters is that each line is checked: rm of a path outside is refused on line two.
    expect(await checkCommand('ls\nrm x', sandboxed)).toEqual({ allowed: true });
    expect(await checkCommand('ls\nrm /etc/x', sandboxed)).toEqual({
      allowed: false,
      reason: '`rm /etc/x`: `/etc/x`: absolute path outside the workspace (' + root + '); give a path relative to the workspace',
    });
    const noRm = { ...sandboxed, commands: new Set([...sandboxed.commands].filter((c) => c !== 'rm')) };
    expect(await checkCommand('ls\nrm x', noRm)).toMatchObject({ allowed: false, reason: expect.stringContaining('`rm` is not in the allowed commands') });
    expect(await checkCommand('ls $(rm x)', noRm)).toMatchObject({ allowed: false, reason: expect.stringContaining('`rm` is not in the allowed commands') });
  });
});
