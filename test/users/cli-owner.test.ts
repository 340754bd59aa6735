import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { buildTestServer } from '../support/app.js';

const run = promisify(execFile);

/** `siyu workspace create --owner-email/--owner-password` gives a fresh install its first console user. */
describeEachDatabase('siyu workspace create with an owner', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it.skipIf(ctx.kind !== 'postgres')('creates the owner, who can sign in to the console', async () => {
    const email = `first-owner-${process.pid}-${Date.now()}@example.com`;
    const env = { ...process.env, DATABASE_URL: TEST_POSTGRES_URL, SIYU_DB_SCHEMA: testPostgresSchema() };
    const { stdout } = await run(process.execPath, ['bin/siyu.js', 'workspace', 'create', '--name', 'CLI brand', '--owner-email', email, '--owner-password', 'first-owner-pass', '--json'], { env });
    const created = JSON.parse(stdout) as { id: string; owner: { email: string; role: string } };
    expect(created.owner).toMatchObject({ email, role: 'owner' });
    const signedIn = await app.inject({ method: 'POST', url: '/api/v1/session', payload: { email, password: 'first-owner-pass' } });
    expect(signedIn.statusCode).toBe(200);
    expect(signedIn.json()).toMatchObject({ role: 'owner', workspace: { id: created.id } });

    const bad = await run(process.execPath, ['bin/siyu.js', 'workspace', 'create', '--name', 'x', '--owner-email', 'not-an-email', '--owner-password', 'long-enough'], { env }).catch((e: { stderr: string; code: number }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect((bad as { stderr: string }).stderr).toContain('invalid email');
  }, 60_000);
});
