/** A serving process for the intake crash test: it accepts into the intake and applies, and is killed with SIGKILL. */
import { buildServer } from '../../src/apps/server/server.js';
import { setIntakeMode } from '../../src/modules/ingest/index.js';
import { openDatabase } from '../../src/platform/db/database.js';

setIntakeMode('always');
const database = await openDatabase({ url: process.env.INTAKE_TEST_DATABASE_URL!, schema: process.env.INTAKE_TEST_SCHEMA!, poolSize: 4 });
const app = await buildServer({ database, publicUrl: 'http://127.0.0.1:3000', demo: false });
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
process.stdout.write(`ready ${typeof address === 'object' && address ? address.port : 0}\n`);
