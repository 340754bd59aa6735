import type { FastifyInstance } from 'fastify';
import { buildServer } from '../../src/apps/server/server.js';
import type { Database } from '../../src/platform/db/database.js';
import { createWorkspace, type CreatedWorkspace } from '../../src/modules/workspaces/index.js';

let counter = 0;

/** A fresh workspace: every test isolates itself by working in its own. */
export async function newWorkspace(database: Database, name = 'test'): Promise<CreatedWorkspace> {
  counter += 1;
  return createWorkspace(database.db, { name: `${name}-${process.pid}-${counter}` });
}

export async function buildTestServer(database: Database): Promise<FastifyInstance> {
  const app = await buildServer({ database, publicUrl: 'http://127.0.0.1:3000', demo: false });
  await app.ready();
  return app;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
export const basic = (writeKey: string) => ({ authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` });
