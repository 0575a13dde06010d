/**
 * The module boundaries hold by lint, not by convention: each case is a file a developer might write,
 * linted with the repository's own ESLint config as if it were at that path.
 */
import { resolve } from 'node:path';
import { createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';

const ROOT = resolve(__dirname, '..', '..');

describe('module boundaries (npm run lint)', () => {
  let eslint: ESLint;
  const problems = async (path: string, code: string) => {
    const [result] = await eslint.lintText(code, { filePath: resolve(ROOT, path) });
    return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
  };

  beforeAll(async () => {
    process.env.NX_DAEMON = 'false';
    // The boundary rule reads Nx's cached project graph; without one it skips itself silently.
    await createProjectGraphAsync({ exitOnError: false });
    eslint = new ESLint({ cwd: ROOT });
  }, 60_000);

  it.each([
    ['a context importing another context', 'libs/gateway/src/x.ts', "import { coordinatorService } from '@autocoder/coordinator';\nexport const x = coordinatorService;\n", /type:context" can only depend on/],
    ['the contracts importing any lib of ours', 'libs/contracts/src/x.ts', "import { createLogger } from '@autocoder/platform';\nexport const x = createLogger;\n", /type:contracts" can only depend on/],
    ['infrastructure importing a context', 'libs/eventstore/src/x.ts', "import { coordinatorService } from '@autocoder/coordinator';\nexport const x = coordinatorService;\n", /type:infrastructure" can only depend on/],
    ['infrastructure importing the composition root', 'libs/reactors/src/x.ts', "import { startAutocoder } from '@autocoder/autocoder';\nexport const x = startAutocoder;\n", /type:infrastructure" can only depend on/],
    ['source importing the test helpers', 'libs/coordinator/src/x.ts', "import { uniqueSchema } from '@autocoder/testing';\nexport const x = uniqueSchema;\n", /test helpers belong in tests/],
    ['chat reaching into planning’s inner files', 'libs/coordinator/src/chat/x.ts', "import { planKind } from '../planning/planning-kinds';\nexport const x = planKind;\n", /its index\.ts/],
    ['an app that is more than a bootstrap', 'apps/coordinator/src/main.ts', Array.from({ length: 45 }, (_, i) => `export const v${i} = ${i};`).join('\n') + '\n', /max-lines/],
  ])('refuses %s', async (_what, path, code, expected) => {
    expect((await problems(path, code)).join('\n')).toMatch(expected);
  });

  it('accepts a context that uses only the contracts and the infrastructure', async () => {
    const code = "import { ErrorCodes } from '@autocoder/contracts';\nimport { CommandLog } from '@autocoder/messaging';\nexport const x = [ErrorCodes, CommandLog];\n";
    expect(await problems('libs/coordinator/src/x.ts', code)).toEqual([]);
  });
});
