import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL, testDatabaseKinds } from '../support/databases.js';

const bin = path.resolve('bin/siyu.js');
const children: ChildProcess[] = [];
afterAll(() => children.forEach((c) => c.kill('SIGKILL')));

function siyu(args: string[], env: Record<string, string>) {
  const res = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Starts a long-running siyu command and waits until its output contains `ready`. */
async function start(args: string[], env: Record<string, string>, ready: string): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env } });
  children.push(child);
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  for (let i = 0; i < 900 && !out.includes(ready); i++) {
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(out, out).toContain(ready);
  return { child, output: () => out };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('siyu worker', () => {
  it('refuses an embedded data folder, as does serve --no-workers', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-worker-'));
    const worker = siyu(['worker'], { SIYU_DATA_DIR: dir, DATABASE_URL: '' });
    expect(worker.code).toBe(1);
    expect(worker.stderr).toContain('siyu worker needs PostgreSQL (DATABASE_URL)');
    const serve = siyu(['serve', '--no-workers', '--no-demo', '--port', '0'], { SIYU_DATA_DIR: dir, DATABASE_URL: '' });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toContain('--no-workers needs PostgreSQL');
  }, 60_000);

  it.skipIf(!testDatabaseKinds().includes('postgres'))(
    'on PostgreSQL: serve --no-workers only answers requests; a separate worker evaluates what was ingested',
    async () => {
      const schema = `siyu_worker_${process.pid}`;
      const env = { DATABASE_URL: TEST_POSTGRES_URL, SIYU_DB_SCHEMA: schema, SIYU_SECRET_KEY: 'c'.repeat(64) };
      const admin = new pg.Client({ connectionString: TEST_POSTGRES_URL });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        const created = siyu(['workspace', 'create', '--name', 'worker split', '--json'], env);
        expect(created.code, created.stderr).toBe(0);
        const ws = JSON.parse(created.stdout) as { id: string; writeKey: string };
        const port = 21000 + (process.pid % 20000);
        await start(['serve', '--no-workers', '--no-demo', '--port', String(port)], env, 'Siyu is serving');

        const auth = `Basic ${Buffer.from(`${ws.writeKey}:`).toString('base64')}`;
        const res = await fetch(`http://127.0.0.1:${port}/v1/page`, {
          method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' },
          body: JSON.stringify({ userId: 'u-worker-1', name: 'Home', messageId: 'm-worker-1' }),
        });
        expect(res.status).toBe(200);
        const pending = async () => (await admin.query(`SELECT count(*)::int AS n FROM ${schema}.profile_changes WHERE workspace_id = $1`, [ws.id])).rows[0].n as number;
        const staged = async () => (await admin.query(`SELECT count(*)::int AS n FROM ${schema}.profile_lifecycle WHERE workspace_id = $1`, [ws.id])).rows[0].n as number;
        // The serving process leaves the change feed alone: the change waits for a worker.
        await sleep(2_000);
        expect(await pending()).toBe(1);
        expect(await staged()).toBe(0);

        const worker = await start(['worker'], env, 'ready');
        for (let i = 0; i < 300 && ((await pending()) > 0 || (await staged()) === 0); i++) await sleep(100);
        expect(await pending()).toBe(0);
        expect(await staged(), worker.output()).toBe(1); // a page view puts the person in a lifecycle stage, decided by the worker
      } finally {
        await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
        await admin.end();
      }
    },
    120_000,
  );
});
