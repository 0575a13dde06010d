import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareWorkspace } from '../../src/projects/prepare-workspace';

describe('prepareWorkspace', () => {
  const env = { ...process.env };
  const roots: string[] = [];
  const temp = (prefix: string) => {
    const root = mkdtempSync(join(tmpdir(), prefix));
    roots.push(root);
    return root;
  };
  afterEach(() => {
    process.env = { ...env };
  });
  afterAll(() => roots.forEach((root) => rmSync(root, { recursive: true, force: true })));

  const origin = () => {
    const repo = join(temp('autocoder-origin-'), 'repo');
    mkdirSync(repo);
    const git = (...args: string[]) => execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', ...args], { cwd: repo, stdio: 'ignore' });
    git('init', '-q');
    writeFileSync(join(repo, 'README.md'), '# origin\n');
    git('add', 'README.md');
    git('commit', '-q', '-m', 'first');
    return repo;
  };

  it('clones a repository with the runner environment as it is: an editor and a pager set (npm sets EDITOR for every script), GIT_* settings of the operator', async () => {
    process.env.EDITOR = 'vi';
    process.env.VISUAL = 'vi';
    process.env.PAGER = 'less';
    process.env.GIT_PAGER = 'less';
    process.env.GIT_TRACE = '0';
    const repo = origin();
    const path = join(temp('autocoder-ws-'), 'clone');
    await prepareWorkspace({ path, repositoryUrl: repo, pathGiven: true });
    expect(existsSync(join(path, '.git'))).toBe(true);
    expect(readFileSync(join(path, 'README.md'), 'utf8')).toBe('# origin\n');
  });

  it('names the repository and the reason when a clone fails', async () => {
    const path = join(temp('autocoder-ws-'), 'clone');
    await expect(prepareWorkspace({ path, repositoryUrl: 'file:///nonexistent', pathGiven: true })).rejects.toMatchObject({
      code: 'VALIDATION_FAILED',
      message: expect.stringMatching(/^repository_url: file:\/\/\/nonexistent could not be cloned: .*fatal: '\/nonexistent' does not appear to be a git repository/),
    });
  });
});
