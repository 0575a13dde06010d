import { randomUUID } from 'node:crypto';
import { AutocoderError, ErrorCodes, type Actor, type CommandEnvelope } from '@autocoder/contracts';
import { TEST_DATABASE_URL, describeWith, uniqueSchema } from '@autocoder/testing';
import { Pool } from 'pg';
import { CommandLog } from '../src';

const envelope = (actor: Actor, commandId: string): CommandEnvelope => ({ commandId, correlationId: randomUUID(), actor, payload: { same: true } });

describeWith({ postgres: true }, 'CommandLog: the actor is part of a command', () => {
  const schema = uniqueSchema('cmdactor');
  let pool: Pool;

  beforeAll(() => {
    pool = new Pool({ connectionString: TEST_DATABASE_URL, max: 4 });
  });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pool.end();
  });

  it('refuses the same id and payload from another actor instead of handing it the first answer', async () => {
    const log = await CommandLog.open({ pool, schema });
    const id = randomUUID();
    const alice: Actor = { kind: 'agent', agentId: randomUUID(), employeeId: randomUUID() };
    const mallory: Actor = { kind: 'agent', agentId: randomUUID(), employeeId: randomUUID() };
    expect(await log.run('s', envelope(alice, id), async () => ({ value: 'alice secret answer' }))).toBe('alice secret answer');
    expect(await log.run('s', envelope(alice, id), async () => ({ value: 'never run' }))).toBe('alice secret answer');
    const stolen = log.run('s', envelope(mallory, id), async () => ({ value: 'never run' }));
    await expect(stolen).rejects.toBeInstanceOf(AutocoderError);
    await expect(stolen).rejects.toMatchObject({ code: ErrorCodes.CommandIdReused });
  });
});
