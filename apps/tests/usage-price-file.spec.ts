import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describeWith } from '@autocoder/testing';
import { isolatedInstallation } from './src/isolated-installation';
import { REPO_ROOT, startService, stopAllServices } from './src/processes';

const run = promisify(execFile);

/**
 * `npm run start:usage` as a user starts it: with a malformed AUTOCODER_PRICES_FILE it exits at once,
 * naming the file, the line and the field; with the shipped defaults it serves.
 */
describeWith({ postgres: true, nats: true }, 'the usage service and its price file', () => {
  const installation = isolatedInstallation('usageprices');
  afterAll(async () => {
    await stopAllServices();
    await installation.remove();
  });

  it('refuses to start on a malformed price file, naming the line and the field', async () => {
    const file = join(installation.home, 'prices.yaml');
    writeFileSync(
      file,
      "version: 3\nfallback: { input: '1', cacheWrite5m: '1', cacheWrite1h: '1', cacheRead: '1', output: '1' }\nmodels:\n  - id: claude-x\n    rates:\n      - { from: '2026-01-01', input: '3', cacheWrite5m: '3.75', cacheWrite1h: '6', cacheRead: 'lots', output: '15' }\n",
    );
    const failed = await run(process.execPath, ['-r', '@swc-node/register', 'apps/usage/src/main.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...installation.env, AUTOCODER_PRICES_FILE: file },
      timeout: 60_000,
    }).then(
      () => null,
      (error: { code?: number; stderr?: string; stdout?: string }) => error,
    );
    expect(failed).not.toBeNull();
    expect(failed!.code).toBe(1);
    expect(`${failed!.stderr}${failed!.stdout}`).toContain(`price file ${file} line 6, field models[0].rates[0].cacheRead: expected dollars per million tokens`);
  }, 90_000);

  it('serves with the shipped defaults', async () => {
    const usage = await startService('usage', { env: installation.env });
    expect(usage.stdout()).toMatch(/Usage serving on \S+ \(queue group "usage"\)/);
  }, 90_000);
});
