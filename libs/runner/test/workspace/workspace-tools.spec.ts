import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { callWorkspaceTool, openWorkspace, WORKSPACE_TOOLS, type Workspace } from '../../src/workspace';

describe('callWorkspaceTool', () => {
  let root: string;
  let ws: Workspace;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'ws-tools-'));
    ws = await openWorkspace({ root, network: false });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('names the six tools of the spec', () => {
    expect(WORKSPACE_TOOLS.map((t) => t.name)).toEqual(['read_file', 'write_file', 'edit_file', 'list_files', 'search_files', 'bash']);
  });

  it('dispatches a tool_use input to the workspace', async () => {
    expect(await callWorkspaceTool(ws, 'write_file', { path: 'a.txt', content: 'one two' })).toMatchObject({ isError: false });
    expect(await callWorkspaceTool(ws, 'edit_file', { path: 'a.txt', old_string: 'two', new_string: '2' })).toMatchObject({ isError: false });
    expect(await callWorkspaceTool(ws, 'read_file', { path: 'a.txt' })).toMatchObject({ isError: false, content: 'one 2' });
    expect(JSON.parse((await callWorkspaceTool(ws, 'list_files', {})).content)).toEqual(['a.txt']);
    expect(JSON.parse((await callWorkspaceTool(ws, 'search_files', { pattern: 'one', literal: true })).content)).toEqual([
      { path: 'a.txt', line: 1, text: 'one 2' },
    ]);
    expect(await callWorkspaceTool(ws, 'bash', { command: 'cat a.txt', timeout_sec: 5 })).toMatchObject({ isError: false, exitCode: 0 });
    expect(ws.changeCount).toBe(2);
  });

  it('answers unknown tools and malformed input as tool errors', async () => {
    expect(await callWorkspaceTool(ws, 'rm', {})).toMatchObject({ isError: true, content: expect.stringContaining('unknown tool `rm`') });
    expect(await callWorkspaceTool(ws, 'read_file', { path: 3 })).toMatchObject({ isError: true, content: 'input.path must be a string' });
    expect(await callWorkspaceTool(ws, 'bash', { command: 'ls', timeout_sec: 'soon' })).toMatchObject({ isError: true });
    expect(await callWorkspaceTool(ws, 'bash', null)).toMatchObject({ isError: true, content: 'tool input must be an object' });
  });
});
