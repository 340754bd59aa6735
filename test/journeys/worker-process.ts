/** A journey worker in its own process, for the crash test: it is killed with SIGKILL and started again. */
import { openDatabase } from '../../src/platform/db/database.js';
import { setSecretKey } from '../../src/modules/channels/index.js';
import { startJourneyWorker } from '../../src/modules/journeys/index.js';
import { wireModules } from '../../src/modules/wiring.js';

wireModules();
setSecretKey(Buffer.from(process.env.JR_SECRET_KEY_HEX ?? '', 'hex'));
const database = await openDatabase({ url: process.env.JR_DATABASE_URL!, schema: process.env.JR_SCHEMA!, poolSize: 4 });
const stop = startJourneyWorker(database.db, { log: (m) => process.stderr.write(`${m}\n`), pollMs: 100, leaseMs: 8_000, chunk: 40, sendConcurrency: 8, maxUnrecorded: 16, sendBatch: 32 });
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void stop().then(() => database.close()).then(() => process.exit(0));
});
