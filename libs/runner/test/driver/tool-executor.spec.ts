import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { codingToolNames, initializerToolNames } from '../../src/agent';
import { ToolExecutor, type FeatureToolHost } from '../../src/driver/tool-executor';
import { openWorkspace, type Workspace } from '../../src/workspace';

const FEATURE = 'feature-1';

/** A feature host that records what the tools asked of it. */
function host(overrides: Partial<FeatureToolHost> = {}) {
  const changes: { featureId: string; to: string; reason: string | null; evidence: unknown }[] = [];
  let gate: { command: string; outputTail: string } | null = null;
  const h: FeatureToolHost & { changes: typeof changes; openGate(): void } = {
    kind: 'coding',
    featureId: FEATURE,
    yolo: false,
    stats: async () => ({ pending: 1, total: 1 }),
    feature: async (id) => ({ id, name: 'add' }),
    gateEvidence: async () => gate,
    changeStatus: async (featureId, to, reason, evidence) => void changes.push({ featureId, to, reason, evidence }),
    defineFeatures: async (features) => features.map((_, i) => `f${i}`),
    changes,
    openGate: () => (gate = { command: 'node --test', outputTail: '# pass 1' }),
    ...overrides,
  };
  return h;
}

describe('tool executor', () => {
  let root: string;
  let ws: Workspace;
  const signal = new AbortController().signal;
  beforeAll(async () => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'tool-executor-'));
    ws = await openWorkspace({ root, network: false });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('runs the workspace tools and says which ones changed files', async () => {
    const run = new ToolExecutor(ws, host(), codingToolNames);
    expect(await run.execute('write_file', { path: 'a.txt', content: 'one two' }, signal)).toMatchObject({ isError: false, changedFiles: true });
    expect(await run.execute('edit_file', { path: 'a.txt', old_string: 'two', new_string: '2' }, signal)).toMatchObject({ isError: false, changedFiles: true });
    expect(await run.execute('read_file', { path: 'a.txt' }, signal)).toMatchObject({ isError: false, content: 'one 2', changedFiles: false });
    expect(JSON.parse((await run.execute('list_files', {}, signal)).content)).toEqual(['a.txt']);
    expect(JSON.parse((await run.execute('search_files', { pattern: 'one' }, signal)).content)).toEqual([{ path: 'a.txt', line: 1, text: 'one 2' }]);
    expect(await run.execute('bash', { command: 'cat a.txt', timeout_sec: 5 }, signal)).toMatchObject({ isError: false, exitCode: 0, changedFiles: false });
    expect(await run.execute('bash', { command: 'cat missing.txt' }, signal)).toMatchObject({ isError: true, exitCode: 1 });
    expect(await run.execute('edit_file', { path: 'a.txt', old_string: 'absent', new_string: 'x' }, signal)).toMatchObject({ isError: true, changedFiles: false });
  });

  it('answers unknown tools, tools of the other session kind and malformed input as tool errors', async () => {
    const run = new ToolExecutor(ws, host(), codingToolNames);
    expect(await run.execute('rm', {}, signal)).toMatchObject({ isError: true, content: expect.stringMatching(/unknown tool "rm"/) });
    expect(await run.execute('feature_create_bulk', { features: [] }, signal)).toMatchObject({ isError: true, content: expect.stringMatching(/unknown tool "feature_create_bulk"/) });
    expect(await run.execute('read_file', { path: 3 }, signal)).toMatchObject({ isError: true, content: expect.stringMatching(/path/) });
    expect(await run.execute('write_file', { path: 'b.txt' }, signal)).toMatchObject({ isError: true, content: expect.stringMatching(/content/) });
    expect(await run.execute('bash', null, signal)).toMatchObject({ isError: true });
  });

  it('lets a session mark only its own feature', async () => {
    const h = host();
    const run = new ToolExecutor(ws, h, codingToolNames);
    expect(await run.execute('feature_mark_failing', { feature_id: 'another', reason: 'x' }, signal)).toMatchObject({
      isError: true,
      content: expect.stringMatching(/is not this session's feature: this session works on feature-1/),
    });
    expect(await run.execute('feature_mark_in_progress', { feature_id: FEATURE }, signal)).toMatchObject({ isError: false });
    expect(h.changes).toEqual([{ featureId: FEATURE, to: 'in_progress', reason: null, evidence: null }]);
    expect(JSON.parse((await run.execute('feature_get_next', {}, signal)).content)).toEqual({ id: FEATURE, name: 'add' });
  });

  it('refuses a passing mark until a command ran green after the last change, then keeps it as evidence', async () => {
    const h = host();
    const run = new ToolExecutor(ws, h, codingToolNames);
    expect(await run.execute('feature_mark_passing', { feature_id: FEATURE, evidence: 'works' }, signal)).toMatchObject({ isError: true, content: expect.stringMatching(/^test gate:/) });
    expect(h.changes).toEqual([]);
    h.openGate();
    expect(await run.execute('feature_mark_passing', { feature_id: FEATURE, evidence: 'works' }, signal)).toMatchObject({ isError: false });
    expect(h.changes).toEqual([{ featureId: FEATURE, to: 'passing', reason: null, evidence: { command: 'node --test', exitCode: 0, outputTail: '# pass 1', note: 'works' } }]);
  });

  it('skips the gate in YOLO mode and says so', async () => {
    const h = host({ yolo: true });
    const run = new ToolExecutor(ws, h, codingToolNames);
    expect(JSON.parse((await run.execute('feature_mark_passing', { feature_id: FEATURE, evidence: 'trust me' }, signal)).content)).toMatchObject({ yolo: true });
    expect(h.changes[0]).toMatchObject({ to: 'passing', reason: 'YOLO mode: the test gate was skipped' });
  });

  it('gives the initializer feature_create_bulk and no claimed feature', async () => {
    const run = new ToolExecutor(ws, host({ kind: 'initializer', featureId: null }), initializerToolNames);
    const created = await run.execute('feature_create_bulk', { features: [{ category: 'core', name: 'add', description: 'adds', steps: ['1 + 1 is 2'] }] }, signal);
    expect(JSON.parse(created.content)).toEqual({ created: 1, feature_ids: ['f0'] });
    expect(await run.execute('feature_get_next', {}, signal)).toMatchObject({ isError: true });
  });
});
