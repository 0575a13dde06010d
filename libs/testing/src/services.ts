import { randomBytes } from 'node:crypto';

/** The machine's real servers the integration suites use; override to point elsewhere. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_NATS_URL = process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222';
export const TEST_EVENTSTORE_URL = process.env.EVENTSTORE_URL ?? null;

/** Set by the global setup after it tried each server. */
export const postgresAvailable = () => process.env.AUTOCODER_TEST_POSTGRES === 'up';
export const natsAvailable = () => process.env.AUTOCODER_TEST_NATS === 'up';

const skipNote = (suite: string, what: string) =>
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED "${suite}": ${what} is not reachable (CI requires it; locally the suite is reported as skipped)`);

/** A describe that runs only when its servers answered; otherwise it is reported as skipped. */
export function describeWith(needs: { postgres?: boolean; nats?: boolean; eventstore?: boolean }, name: string, fn: () => void) {
  const missing = [
    needs.postgres && !postgresAvailable() ? `Postgres at ${TEST_DATABASE_URL}` : null,
    needs.nats && !natsAvailable() ? `NATS at ${TEST_NATS_URL}` : null,
    needs.eventstore && !TEST_EVENTSTORE_URL ? 'EventStoreDB (EVENTSTORE_URL is not set)' : null,
  ].filter(Boolean);
  if (missing.length) {
    skipNote(name, missing.join(' and '));
    describe.skip(name, fn);
  } else {
    describe(name, fn);
  }
}

/** A fresh Postgres schema name, so suites running side by side never share tables. */
export const uniqueSchema = (prefix: string) => `${prefix}_${randomBytes(5).toString('hex')}`;
