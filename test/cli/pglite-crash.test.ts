import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.js';

const bin = path.resolve('bin/siyu.js');

/**
 * The embedded database keeps what it answered 200 for when its process is killed outright (SIGKILL: an OOM kill, a
 * crash): every acknowledged batch is there after a restart on the same folder, once (re-sending each one now counts
 * all its messages as duplicates), and the dead process's claim on the folder is taken over.
 */
describe.skipIf(!testDatabaseKinds().includes('pglite'))('embedded database: server killed with SIGKILL', () => {
  const servers: Array<ReturnType<typeof spawn>> = [];
  afterAll(() => servers.forEach((s) => s.kill('SIGKILL')));
  const env = (dir: string) => ({ ...process.env, SIYU_DATA_DIR: dir, DATABASE_URL: '' });

  const serve = async (dir: string, port: number) => {
    const server = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--no-demo'], { env: env(dir) });
    servers.push(server);
    let log = '';
    server.stdout!.on('data', (d) => (log += d));
    server.stderr!.on('data', (d) => (log += d));
    for (let i = 0; i < 900 && !log.includes('Siyu is serving'); i++) await new Promise((r) => setTimeout(r, 100));
    expect(log).toContain('Siyu is serving');
    return Object.assign(server, { log: () => log });
  };

  it('loses no acknowledged batch and applies none twice', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-crash-'));
    const port = 40000 + (process.pid % 20000);
    const base = `http://127.0.0.1:${port}`;
    const first = await serve(dir, port);
    const created = spawnSync(process.execPath, [bin, 'workspace', 'create', '--name', 'crash', '--json'], { env: env(dir), encoding: 'utf8', timeout: 120_000 });
    expect(created.status, created.stderr).toBe(0);
    const ws = JSON.parse(created.stdout) as { writeKey: string; adminToken: string };
    const auth = `Basic ${Buffer.from(`${ws.writeKey}:`).toString('base64')}`;
    const batch = (b: number) =>
      JSON.stringify({ batch: Array.from({ length: 10 }, (_, i) => ({ type: 'track', userId: `crash-${b}-${i % 3}`, event: 'Product Viewed', messageId: `crash-${b}-${i}` })) });
    const send = (b: number) => fetch(`${base}/v1/batch`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: batch(b) });

    const batches = 25;
    for (let b = 0; b < batches; b++) {
      const res = await send(b);
      expect(res.status, await res.clone().text()).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 10, duplicates: 0 });
    }
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL'); // right after the last 200
    await exited;

    const second = await serve(dir, port);
    for (let b = 0; b < batches; b++) {
      const res = await send(b);
      expect(res.status).toBe(200);
      expect(await res.json(), `batch ${b}`).toMatchObject({ accepted: 0, duplicates: 10 });
    }
    const last = await fetch(`${base}/api/v1/profiles/lookup?type=userId&value=crash-${batches - 1}-2`, { headers: { authorization: `Bearer ${ws.adminToken}` } });
    expect(last.status).toBe(200);
    const events = await fetch(`${base}/api/v1/profiles/${(await last.json()).id}/events`, { headers: { authorization: `Bearer ${ws.adminToken}` } });
    expect((await events.json()).data).toHaveLength(3); // messages 2, 5 and 8 of the last batch, each once
    // The access log (ingest logs warnings only): one line per request, once answered, with its status and time.
    const lines = second.log().split('\n').filter((l) => l.includes('"url":"/api/v1/profiles/lookup'));
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'request', method: 'GET', status: 200, ms: expect.any(Number) });
    expect(second.log()).not.toContain('incoming request');
    // Nothing a user would take for a fault on every start (Fastify 5.12 deprecated the top-level option).
    expect(second.log()).not.toMatch(/Deprecat/);
    second.kill('SIGTERM');
    fs.rmSync(dir, { recursive: true, force: true });
  }, 240_000);
});
