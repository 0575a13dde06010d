import { codingTools, initializerTools, parseToolInput, ToolNames } from '../../src/agent';

const names = (tools: readonly { name: string }[]) => tools.map((t) => t.name);
const schemaOf = (name: string) => [...codingTools, ...initializerTools].find((t) => t.name === name)!.input_schema as any;

describe('tool definitions', () => {
  it('gives the initializer feature_create_bulk and the coding agent the feature marks, both the workspace tools', () => {
    const workspace = ['read_file', 'write_file', 'edit_file', 'list_files', 'search_files', 'bash'];
    expect(names(initializerTools)).toEqual([...workspace, 'feature_get_stats', 'feature_create_bulk']);
    expect(names(codingTools)).toEqual([
      ...workspace,
      'feature_get_stats',
      'feature_get_next',
      'feature_mark_in_progress',
      'feature_mark_passing',
      'feature_mark_failing',
      'feature_skip',
    ]);
    expect(names(codingTools)).not.toContain('feature_create_bulk');
  });

  it.each([
    ['read_file', ['path'], ['path']],
    ['write_file', ['path', 'content'], ['path', 'content']],
    ['edit_file', ['path', 'old_string', 'new_string'], ['path', 'old_string', 'new_string']],
    ['list_files', ['path'], []],
    ['search_files', ['pattern', 'path'], ['pattern']],
    ['bash', ['command', 'timeout_sec'], ['command']],
    ['feature_get_stats', [], []],
    ['feature_get_next', [], []],
    ['feature_mark_in_progress', ['feature_id'], ['feature_id']],
    ['feature_mark_passing', ['feature_id', 'evidence'], ['feature_id', 'evidence']],
    ['feature_mark_failing', ['feature_id', 'reason'], ['feature_id', 'reason']],
    ['feature_skip', ['feature_id', 'reason'], ['feature_id', 'reason']],
    ['feature_create_bulk', ['features'], ['features']],
  ])('%s takes %j, requires %j, each described', (name, fields, required) => {
    const schema = schemaOf(name);
    expect(schema.type).toBe('object');
    expect(schema.$schema).toBeUndefined();
    expect(Object.keys(schema.properties ?? {})).toEqual(fields);
    expect(schema.required ?? []).toEqual(required);
    for (const field of fields) expect(schema.properties[field].description).toEqual(expect.any(String));
    expect([...codingTools, ...initializerTools].find((t) => t.name === name)!.description!.length).toBeGreaterThan(20);
  });

  it('describes a feature of feature_create_bulk with its fields, steps as strings and depends_on as positions', () => {
    const item = schemaOf('feature_create_bulk').properties.features.items;
    expect(Object.keys(item.properties)).toEqual(['category', 'name', 'description', 'steps', 'priority', 'depends_on']);
    expect(item.required).toEqual(['category', 'name', 'description', 'steps']);
    expect(item.properties.steps.items.type).toBe('string');
    expect(item.properties.depends_on.items.type).toBe('integer');
  });

  it('is frozen, so no caller can change the prefix every request shares', () => {
    expect(() => ((codingTools[0] as any).description = 'changed')).toThrow(TypeError);
    expect(() => (codingTools as any).push({})).toThrow(TypeError);
  });
});

describe('parseToolInput', () => {
  it('parses a valid call into its typed input', () => {
    expect(parseToolInput('edit_file', { path: 'src/a.ts', old_string: 'a', new_string: '' })).toEqual({
      ok: true,
      tool: { name: 'edit_file', input: { path: 'src/a.ts', old_string: 'a', new_string: '' } },
    });
    expect(parseToolInput('feature_get_next', {})).toEqual({ ok: true, tool: { name: 'feature_get_next', input: {} } });
    expect(parseToolInput('bash', { command: 'npm test', timeout_sec: 120 })).toMatchObject({ ok: true });
  });

  it('refuses an unknown tool, naming the tools there are', () => {
    const result = parseToolInput('run_shell', { command: 'ls' });
    expect(result).toEqual({ ok: false, error: expect.stringContaining('unknown tool "run_shell"') });
    expect(!result.ok && result.error).toContain('read_file, write_file');
  });

  it("refuses a tool that is not in this session's set", () => {
    const codingNames = codingTools.map((t) => t.name);
    const result = parseToolInput('feature_create_bulk', { features: [] }, codingNames);
    expect(!result.ok && result.error).toMatch(/unknown tool "feature_create_bulk": the tools of this session are read_file, .*feature_skip/);
  });

  it('says which fields are missing, of the wrong type, or unknown', () => {
    expect(parseToolInput('write_file', { path: 'a.txt' })).toEqual({
      ok: false,
      error: 'invalid input for write_file: content: is required (fields: path, content)',
    });
    expect(parseToolInput('bash', { command: 42, timeout_sec: 'soon' })).toEqual({
      ok: false,
      error: 'invalid input for bash: command: must be a string; timeout_sec: must be a number (fields: command, timeout_sec)',
    });
    expect(parseToolInput('read_file', { file_path: 'a' })).toEqual({
      ok: false,
      error: 'invalid input for read_file: path: is required; unknown field file_path (fields: path)',
    });
    expect(parseToolInput('feature_mark_passing', { feature_id: '', evidence: 'ok' })).toEqual({
      ok: false,
      error: 'invalid input for feature_mark_passing: feature_id: must not be empty (fields: feature_id, evidence)',
    });
    expect(parseToolInput('bash', { command: 'x', timeout_sec: 1.5 })).toMatchObject({ ok: false, error: expect.stringContaining('timeout_sec: must be a whole number') });
  });

  it('refuses input that is not an object', () => {
    expect(parseToolInput('read_file', 'a.txt')).toEqual({ ok: false, error: 'invalid input for read_file: expected a JSON object with path' });
    expect(parseToolInput('feature_get_stats', null)).toEqual({ ok: false, error: 'invalid input for feature_get_stats: expected a JSON object ({})' });
  });

  const feature = (extra: object = {}) => ({ category: 'functional', name: 'Add a todo', description: 'POST /todos stores it', steps: ['POST /todos', 'GET /todos lists it'], ...extra });

  it('parses a feature list whose dependencies name earlier features', () => {
    const result = parseToolInput('feature_create_bulk', { features: [feature(), feature({ priority: 2, depends_on: [0] })] });
    expect(result).toMatchObject({ ok: true, tool: { name: 'feature_create_bulk', input: { features: [{}, { depends_on: [0], priority: 2 }] } } });
  });

  it('refuses dependencies on the feature itself or later ones, steps that are not strings, and an empty list', () => {
    const bad = parseToolInput('feature_create_bulk', { features: [feature({ depends_on: [0] }), feature({ depends_on: [1, 5] })] });
    expect(!bad.ok && bad.error).toBe(
      'invalid input for feature_create_bulk: ' +
        'features.0.depends_on.0: must be empty: the first feature can depend on no other, got 0; ' +
        'features.1.depends_on.0: must be the position of an earlier feature (0 to 0), got 1; ' +
        'features.1.depends_on.1: must be the position of an earlier feature (0 to 0), got 5 (fields: features)',
    );
    // Types first: the dependency check runs once every feature has the right shape.
    expect(parseToolInput('feature_create_bulk', { features: [feature({ depends_on: [3] }), feature({ steps: [1] })] })).toEqual({
      ok: false,
      error: 'invalid input for feature_create_bulk: features.1.steps.0: must be a string (fields: features)',
    });
    expect(parseToolInput('feature_create_bulk', { features: [] })).toMatchObject({ ok: false, error: expect.stringContaining('features: must hold at least one feature') });
    expect(parseToolInput('feature_create_bulk', { features: [feature({ steps: [] })] })).toMatchObject({
      ok: false,
      error: expect.stringContaining('features.0.steps: must list at least one step'),
    });
  });

  it('has a parser for every tool either session offers', () => {
    for (const t of [...codingTools, ...initializerTools]) expect(ToolNames).toContain(t.name);
  });
});
