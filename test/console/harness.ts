import type { FastifyInstance } from 'fastify';
import { ensureConsoleBuilt } from '../../console/ensure-built.mjs';
import { buildServer } from '../../src/apps/server/server.js';
import type { Database } from '../../src/platform/db/database.js';
import type { AppContext } from '../../src/platform/http/context.js';
import { openTestDatabase, testDatabaseKinds } from '../support/databases.js';

/**
 * The real server in-process on a random port over a real test database, serving the built console. Browser tests
 * run on one database (the first configured): the storage paths are covered by the API tests on both.
 */
export async function startConsoleServer(opts: { demo: boolean; demoProgress?: AppContext['demoProgress'] }): Promise<{ database: Database; app: FastifyInstance; base: string }> {
  ensureConsoleBuilt({ quiet: true });
  const database = await openTestDatabase(testDatabaseKinds()[0] ?? 'pglite');
  const app = await buildServer({ database, publicUrl: 'http://127.0.0.1', demo: opts.demo, demoProgress: opts.demoProgress });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { database, app, base };
}
