import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_DATABASE_URL, TEST_NATS_URL, dropSchemasWithPrefix, uniqueSchema } from '@autocoder/testing';

/**
 * What a suite needs to run services as separate processes on the shared Postgres and NATS
 * without meeting any other suite: its own schema and subject prefix, data folder and admin token.
 */
export function isolatedInstallation(label: string) {
  const prefix = uniqueSchema(label);
  const natsPrefix = `${prefix}-${randomBytes(3).toString('hex')}`;
  const home = mkdtempSync(join(tmpdir(), `autocoder-${label}-`));
  const adminToken = `adm_${randomBytes(24).toString('base64url')}`;
  const env = {
    DATABASE_URL: TEST_DATABASE_URL,
    NATS_URL: TEST_NATS_URL,
    AUTOCODER_SCHEMA_PREFIX: prefix,
    AUTOCODER_NATS_PREFIX: natsPrefix,
    AUTOCODER_HOME: home,
    AUTOCODER_ADMIN_TOKEN: adminToken,
    EVENTSTORE_URL: undefined,
    AUTOCODER_HEARTBEAT_INTERVAL_SEC: undefined,
    AUTOCODER_AGENT_OFFLINE_AFTER_SEC: undefined,
    LOG_LEVEL: 'info',
  };
  return {
    prefix,
    natsPrefix,
    home,
    adminToken,
    env,
    /** Removes the data folder and every schema of the installation; resolves with any schema still there (none, normally). */
    async remove(): Promise<string[]> {
      rmSync(home, { recursive: true, force: true });
      return dropSchemasWithPrefix(`${prefix}_`);
    },
  };
}
