import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { TEST_POSTGRES_URL, testDatabaseKinds } from '../support/databases.js';

const bin = path.resolve('bin/siyu.js');
/** The CLI in a child process (several at once: each spends seconds starting). */
function siyu(args: string[], env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, SIYU_DB_SCHEMA: '', ...env }, timeout: 60_000 });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('close', (code) => resolve({ code, stderr: stderr.trim() }));
  });
}
const pgUrl = (change: (u: URL) => void) => {
  const u = new URL(TEST_POSTGRES_URL);
  change(u);
  return u.toString();
};

it('says what is wrong with DATABASE_URL or the data folder, in a line, without a stack', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-dbe-')), 'not-a-folder');
  fs.writeFileSync(file, 'x');
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ DATABASE_URL: 'mysql://root@127.0.0.1/test' }, /^siyu: DATABASE_URL must be a PostgreSQL URL \(postgres:\/\/…\), not mysql:\/\/…/],
    [{ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' }, /^siyu: cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/test: the connection was refused\. Is PostgreSQL running there/],
    [{ DATABASE_URL: 'postgres://postgres:secret@no-such-host.invalid:5432/test' }, /^siyu: cannot reach PostgreSQL at postgres:\/\/postgres:\*\*\*@no-such-host\.invalid:5432\/test: no host named "no-such-host\.invalid"/],
    [{ DATABASE_URL: '', SIYU_DATA_DIR: file }, new RegExp(`^siyu: the data folder ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is a file, not a folder`)],
  ];
  if (testDatabaseKinds().includes('postgres')) {
    cases.push([{ DATABASE_URL: pgUrl((u) => (u.pathname = '/siyu_no_such_db')) }, /^siyu: PostgreSQL at .* has no database "siyu_no_such_db": create it \(createdb siyu_no_such_db\) or fix DATABASE_URL$/]);
    cases.push([{ DATABASE_URL: pgUrl((u) => (u.username = 'siyu_no_such_role')) }, /^siyu: PostgreSQL at .* refused the login of user "siyu_no_such_role"/]);
  }
  const results = await Promise.all(cases.map(([env]) => siyu(['migrate'], env)));
  for (const [k, [env, expected]] of cases.entries()) {
    const res = results[k]!;
    expect(res.code, JSON.stringify(env)).toBe(1);
    expect(res.stderr, JSON.stringify(env)).toMatch(expected);
    expect(res.stderr.split('\n'), JSON.stringify(env)).toHaveLength(1); // no stack trace
  }
}, 120_000);
