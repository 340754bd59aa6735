import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { testDatabaseKinds } from '../support/databases.js';

const bin = path.resolve('bin/siyu.js');

it.runIf(testDatabaseKinds().includes('pglite'))('serve on a port already taken or not a port: says so and what to do, at once, and leaves the data folder free', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const port = (taken.address() as net.AddressInfo).port;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-port-'));
  try {
    // With the demo: its loading starts before the port is known to be taken, and must not keep the process alive.
    const res = spawnSync(process.execPath, [bin, 'serve', '--port', String(port)], { env: { ...process.env, SIYU_DATA_DIR: dir, DATABASE_URL: '' }, encoding: 'utf8', timeout: 90_000 });
    expect(res.signal, 'the process did not exit by itself').toBeNull();
    expect(res.status).toBe(1);
    expect(res.stderr).toContain(`siyu: port ${port} on 127.0.0.1 is already in use: stop what is using it, or choose another port with --port N (or PORT=N)`);
    expect(res.stderr).not.toContain('    at '); // no stack trace
    expect(fs.existsSync(path.join(dir, 'siyu.lock'))).toBe(false);
    const bad = spawnSync(process.execPath, [bin, 'serve', '--port', 'abc'], { env: { ...process.env, SIYU_DATA_DIR: dir, DATABASE_URL: '' }, encoding: 'utf8', timeout: 90_000 });
    expect([bad.status, bad.stderr.trim()]).toEqual([1, 'siyu: --port must be a number from 0 to 65535, got "abc"']);
  } finally {
    taken.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
