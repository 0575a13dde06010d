import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCHEMA_FILE, printGatewaySchema } from '../src';

describe('committed GraphQL schema', () => {
  it('matches the schema the code generates (run `npm run schema:print` after changing a type)', async () => {
    const committed = readFileSync(join(__dirname, '../../..', SCHEMA_FILE), 'utf8');
    expect(await printGatewaySchema()).toBe(committed);
  });
});
