import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openWorkspace, OUTPUT_CAP_CHARS, type Workspace } from '../../src/workspace';
import { searchFilesTool } from '../../src/workspace/file-tools';

describe('workspace file tools', () => {
  let base: string;
  let root: string;
  let outside: string;
  let ws: Workspace;

  beforeEach(async () => {
    base = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'ws-files-')));
    root = path.join(base, 'project');
    outside = path.join(base, 'outside');
    fs.mkdirSync(path.join(root, 'src'), { recursive: true });
    fs.mkdirSync(outside);
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret');
    fs.writeFileSync(path.join(root, 'src', 'a.ts'), 'export const a = 1;\nexport const b = 2;\n');
    fs.symlinkSync(outside, path.join(root, 'out-dir'));
    fs.symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'out-file'));
    fs.symlinkSync(path.join(outside, 'missing.txt'), path.join(root, 'dangling'));
    ws = await openWorkspace({ root, network: false });
  });
  afterEach(() => fs.rmSync(base, { recursive: true, force: true }));

  describe('path guard, for every tool', () => {
    const escapes: Array<[string, string]> = [
      ['../outside/secret.txt', 'path leads outside the workspace'],
      ['src/../../outside/secret.txt', 'path leads outside the workspace'],
      ['/etc/passwd', 'absolute path outside the workspace'],
      ['out-dir/secret.txt', 'symlink that leads outside the workspace'],
      ['out-dir/new/deep.txt', 'symlink that leads outside the workspace'],
      ['out-file', 'symlink that leads outside the workspace'],
      ['dangling', 'symlink whose target does not exist'],
    ];
    it.each(escapes)('refuses %j, naming it', async (given, reason) => {
      const results = [
        await ws.readFile(given),
        await ws.writeFile(given, 'pwned'),
        await ws.editFile(given, 'secret', 'pwned'),
        await ws.listFiles(given),
        await ws.searchFiles('secret', given),
      ];
      for (const r of results) {
        expect(r.isError).toBe(true);
        expect(r.content).toContain(`\`${given}\``);
        expect(r.content).toContain(reason);
      }
      expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
      expect(fs.readdirSync(outside)).toEqual(['secret.txt']);
      expect(ws.changeCount).toBe(0);
    });

    it('accepts an absolute path inside the workspace', async () => {
      expect(await ws.readFile(path.join(root, 'src/a.ts'))).toMatchObject({ isError: false, content: expect.stringContaining('const a') });
    });

    it('refuses to write or edit a file with another hard link (it may live outside)', async () => {
      fs.linkSync(path.join(outside, 'secret.txt'), path.join(root, 'hard.txt'));
      expect((await ws.writeFile('hard.txt', 'pwned')).content).toBe('`hard.txt`: has other hard links (it may be a file outside the workspace); refused');
      expect((await ws.editFile('hard.txt', 'secret', 'pwned')).content).toContain('has other hard links');
      expect(fs.readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    });

    it('refuses writes into .git and .autocoder', async () => {
      expect((await ws.writeFile('.git/hooks/pre-commit', 'x')).content).toContain('.git/ is protected');
      expect((await ws.writeFile('.autocoder/allowed-commands.json', '{}')).content).toContain('.autocoder/ is protected');
    });
  });

  it('read_file caps its text and keeps the size of the file', async () => {
    fs.writeFileSync(path.join(root, 'big.txt'), 'x'.repeat(100_000));
    const r = await ws.readFile('big.txt');
    expect(r).toMatchObject({ isError: false, originalBytes: 100_000, truncated: true });
    expect(r.content.length).toBeLessThan(OUTPUT_CAP_CHARS + 100);
    expect(r.content).toContain('[truncated');
    expect(await ws.readFile('src')).toMatchObject({ isError: true, content: expect.stringContaining('is a directory') });
    expect(await ws.readFile('nope.txt')).toMatchObject({ isError: true, content: '`nope.txt`: no such file or directory' });
    fs.writeFileSync(path.join(root, 'bin.dat'), Buffer.from([1, 0, 2]));
    expect(await ws.readFile('bin.dat')).toMatchObject({ isError: true, content: expect.stringContaining('binary file') });
  });

  it('write_file makes parent folders and counts the change', async () => {
    const r = await ws.writeFile('new/deep/file.txt', 'hello');
    expect(r).toMatchObject({ isError: false, content: `wrote 5 bytes to ${path.join('new', 'deep', 'file.txt')}` });
    expect(fs.readFileSync(path.join(root, 'new/deep/file.txt'), 'utf8')).toBe('hello');
    expect(ws.changeCount).toBe(1);
    expect(ws.lastChangeAt).toBeGreaterThan(0);
  });

  it('edit_file replaces only a string that occurs exactly once', async () => {
    expect(await ws.editFile('src/a.ts', 'export const', 'x')).toMatchObject({
      isError: true,
      content: '`src/a.ts`: old_string was found 2 times; it must occur exactly once (include more surrounding text)',
    });
    expect(await ws.editFile('src/a.ts', 'const z', 'x')).toMatchObject({ isError: true, content: expect.stringContaining('was not found') });
    expect(ws.changeCount).toBe(0);
    const r = await ws.editFile('src/a.ts', 'const b = 2', 'const b = "$&$1"');
    expect(r).toMatchObject({ isError: false, content: `edited ${path.join('src', 'a.ts')}: replaced 1 occurrence at line 2` });
    expect(fs.readFileSync(path.join(root, 'src/a.ts'), 'utf8')).toBe('export const a = 1;\nexport const b = "$&$1";\n');
    expect(ws.changeCount).toBe(1);
  });

  it('list_files lists recursively as JSON, skipping node_modules and .git and not following symlinks', async () => {
    fs.mkdirSync(path.join(root, 'node_modules/pkg'), { recursive: true });
    fs.mkdirSync(path.join(root, '.git'));
    fs.writeFileSync(path.join(root, '.git/HEAD'), 'ref');
    const r = await ws.listFiles();
    expect(r.isError).toBe(false);
    expect(JSON.parse(r.content)).toEqual(['dangling', 'out-dir', 'out-file', 'src/', 'src/a.ts']);
    expect(JSON.parse((await ws.listFiles('src')).content)).toEqual(['src/a.ts']);
  });

  it('list_files caps the count and says so in valid JSON', async () => {
    fs.mkdirSync(path.join(root, 'many'));
    for (let i = 0; i < 1100; i++) fs.writeFileSync(path.join(root, 'many', `f${String(i).padStart(4, '0')}`), '');
    const r = await ws.listFiles('many');
    expect(r.truncated).toBe(true);
    const list = JSON.parse(r.content) as string[];
    expect(list.length).toBeLessThanOrEqual(1001);
    expect(list[list.length - 1]).toMatch(/^… \d+ more not shown/);
    expect(r.content.length).toBeLessThanOrEqual(OUTPUT_CAP_CHARS);
  });

  it('search_files finds regex and literal matches as JSON [{path, line, text}]', async () => {
    const r = await ws.searchFiles('const [ab] = \\d');
    expect(JSON.parse(r.content)).toEqual([
      { path: path.join('src', 'a.ts'), line: 1, text: 'export const a = 1;' },
      { path: path.join('src', 'a.ts'), line: 2, text: 'export const b = 2;' },
    ]);
    expect(JSON.parse((await ws.searchFiles('b = 2;', 'src', { literal: true })).content)).toHaveLength(1);
    expect(JSON.parse((await ws.searchFiles('secret')).content)).toEqual([]); // not through symlinks
  });

  it('search_files answers an invalid regex as a tool error and caps matches', async () => {
    expect(await ws.searchFiles('(unclosed')).toMatchObject({ isError: true, content: expect.stringContaining('is not a valid regular expression') });
    fs.writeFileSync(path.join(root, 'lines.txt'), 'match\n'.repeat(500));
    const r = await ws.searchFiles('match', 'lines.txt');
    const list = JSON.parse(r.content) as unknown[];
    expect(r.truncated).toBe(true);
    expect(list).toHaveLength(201);
    expect(list[200]).toBe('… 300 more not shown; narrow the path or the pattern');
  });

  it('search_files stops a pattern that backtracks without end', async () => {
    fs.writeFileSync(path.join(root, 'slow.txt'), `${'a'.repeat(40)}b\n`);
    const started = Date.now();
    const r = await searchFilesTool(ws.root, '(a+)+$', 'slow.txt', { budgetMs: 200 });
    expect(r).toMatchObject({ isError: true, content: expect.stringContaining('the search took longer than 0.2 s and was stopped') });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reads extra commands from .autocoder/allowed-commands.json and refuses a malformed one', async () => {
    fs.mkdirSync(path.join(root, '.autocoder'));
    fs.writeFileSync(path.join(root, '.autocoder/allowed-commands.json'), '{"commands": ["python3"]}');
    const withPython = await openWorkspace({ root, network: false });
    expect(await withPython.checkCommand('python3 -V')).toEqual({ allowed: true });
    fs.writeFileSync(path.join(root, '.autocoder/allowed-commands.json'), '{"commands": "python3"');
    await expect(openWorkspace({ root, network: false })).rejects.toThrow(
      /\.autocoder\/allowed-commands\.json: is not valid JSON .*expected \{"commands": \["python3", \.\.\.\]\}/,
    );
    fs.writeFileSync(path.join(root, '.autocoder/allowed-commands.json'), '{"commands": ["eval"]}');
    await expect(openWorkspace({ root, network: false })).rejects.toThrow('`eval` can never be allowed');
  });
});
