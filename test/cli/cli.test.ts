import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TEST_POSTGRES_URL, testDatabaseKinds, testPostgresSchema } from '../support/databases.js';

const bin = path.resolve('bin/siyu.js');
const tmpDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-cli-'));

function siyu(args: string[], env: Record<string, string>) {
  const res = spawnSync(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const membersCsv = (dir: string) => {
  const file = path.join(dir, 'members.csv');
  fs.writeFileSync(file, 'member_no,name,phone\nC1,赵敏,13900000001\nC2,周芷若,13900000002\n,nobody,\n');
  return file;
};

/** Each database the suite runs on: the embedded data folder, and PostgreSQL through DATABASE_URL. */
const environments = testDatabaseKinds().map((kind) => ({
  kind,
  env: (dir: string): Record<string, string> =>
    kind === 'pglite' ? { SIYU_DATA_DIR: dir, DATABASE_URL: '' } : { DATABASE_URL: TEST_POSTGRES_URL, SIYU_DB_SCHEMA: testPostgresSchema() },
}));

for (const { kind, env } of environments) {
  describe(`siyu CLI [${kind}]`, () => {
    it('creates a workspace as JSON and imports members with rejects; a re-run changes nothing', () => {
      const dir = tmpDir();
      const created = siyu(['workspace', 'create', '--name', `CLI brand ${kind} ${process.pid}`, '--json'], env(dir));
      expect(created.code, created.stderr).toBe(0);
      const ws = JSON.parse(created.stdout) as { id: string; writeKey: string; adminToken: string };
      expect(ws.id).toMatch(/^ws_/);
      expect(ws.writeKey).toMatch(/^wk_/);
      expect(ws.adminToken).toMatch(/^at_/);

      const file = membersCsv(dir);
      const first = siyu(['import', 'members', file, '--workspace', ws.id], env(dir));
      expect(first.code).toBe(2); // some rows were rejected
      expect(first.stdout).toContain('3 rows read, 2 imported, 0 unchanged, 1 rejected');
      expect(fs.readFileSync(`${file}.rejects.csv`, 'utf8')).toContain('4,"no identifier');
      // The rejects file opens in a Chinese Excel as the API's CSV downloads do: it starts with a UTF-8 byte-order mark,
      // which --no-bom leaves out (as ?bom=false does).
      expect(fs.readFileSync(`${file}.rejects.csv`, 'utf8')).toMatch(/^\ufeffline,reason\n/);
      const bare = path.join(dir, 'bare.rejects.csv');
      const checked = siyu(['import', 'members', file, '--workspace', ws.id, '--dry-run', '--no-bom', '--rejects', bare], env(dir));
      expect(checked.code, checked.stderr).toBe(2);
      expect(fs.readFileSync(bare, 'utf8')).toMatch(/^line,reason\n4,"no identifier/);
      expect(siyu(['import', 'members', '--help'], env(dir)).stdout).toContain('--no-bom');
      const again = siyu(['import', 'members', file, '--workspace', ws.id], env(dir));
      expect(again.stdout).toContain('2 unchanged');
      // A row whose phone another member holds is imported, and the summary says so and where the list of them is.
      const conflicting = path.join(dir, 'conflicting.csv');
      fs.writeFileSync(conflicting, 'member_no,name,phone\nC3,张无忌,13900000001\n');
      const conflicted = siyu(['import', 'members', conflicting, '--workspace', ws.id], env(dir));
      expect(conflicted.code, conflicted.stderr).toBe(0);
      expect(conflicted.stdout).toContain('1 rows read, 1 imported (1 with an identity conflict), 0 unchanged, 0 rejected');
      expect(conflicted.stdout).toContain(`Rows imported with an identity conflict (an identifier another profile holds), with line numbers and reasons: ${conflicting}.conflicts.csv`);
      expect(fs.readFileSync(`${conflicting}.conflicts.csv`, 'utf8')).toMatch(/^\ufeffline,reason\n2,"imported with an identity conflict: phone \+8613900000001 belongs to profile \d+, which has member_no C1/);

      const bad = siyu(['import', 'members', path.join(dir, 'missing.csv'), '--workspace', ws.id], env(dir));
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('no such file');
    }, 180_000);
  });
}

if (testDatabaseKinds().includes('pglite')) {
  describe('an embedded data folder belongs to one process', () => {
    const servers: Array<ReturnType<typeof spawn>> = [];
    afterAll(() => servers.forEach((s) => s.kill('SIGKILL')));

    it('goes through the running server, and refuses a second server', async () => {
      const dir = tmpDir();
      const port = 20000 + (process.pid % 20000);
      const server = spawn(process.execPath, [bin, 'serve', '--port', String(port), '--no-demo'], { env: { ...process.env, SIYU_DATA_DIR: dir, DATABASE_URL: '' } });
      servers.push(server);
      let log = '';
      server.stdout!.on('data', (d) => (log += d));
      server.stderr!.on('data', (d) => (log += d));
      for (let i = 0; i < 600 && !log.includes('Siyu is serving'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(log).toContain('Siyu is serving');

      const created = siyu(['workspace', 'create', '--name', 'through server', '--json'], { SIYU_DATA_DIR: dir, DATABASE_URL: '' });
      expect(created.code, created.stderr).toBe(0);
      const ws = JSON.parse(created.stdout) as { id: string; adminToken: string };
      const checked = siyu(['import', 'members', membersCsv(dir), '--dry-run'], { SIYU_DATA_DIR: dir, DATABASE_URL: '' });
      expect(checked.stdout).toContain('nothing written: 3 rows read, 2 would import, 0 unchanged, 1 rejected');
      const before = await fetch(`http://127.0.0.1:${port}/api/v1/profiles/lookup?type=member_no&value=C2`, { headers: { authorization: `Bearer ${ws.adminToken}` } });
      expect(before.status).toBe(404); // the check wrote nothing
      const imported = siyu(['import', 'members', membersCsv(dir)], { SIYU_DATA_DIR: dir, DATABASE_URL: '' });
      expect(imported.stdout).toContain('the running server at');
      expect(imported.stdout).toContain('2 imported');
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/profiles/lookup?type=member_no&value=C2`, { headers: { authorization: `Bearer ${ws.adminToken}` } });
      expect(res.status).toBe(200);

      const second = siyu(['serve', '--port', String(port + 1), '--no-demo'], { SIYU_DATA_DIR: dir, DATABASE_URL: '' });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/in use by process \d+/);
      const migrate = siyu(['migrate'], { SIYU_DATA_DIR: dir, DATABASE_URL: '' });
      expect(migrate.code).toBe(1);
      expect(migrate.stderr).toContain('in use');
    }, 240_000);
  });
}
