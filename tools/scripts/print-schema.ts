import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { SCHEMA_FILE, printGatewaySchema } from '@autocoder/gateway';

/** `npm run schema:print`: regenerates the committed GraphQL schema after a change to the types. */
printGatewaySchema().then((sdl) => {
  writeFileSync(SCHEMA_FILE, sdl);
   
  console.log(`wrote ${SCHEMA_FILE}`);
});
