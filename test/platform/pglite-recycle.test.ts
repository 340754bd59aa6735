import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.js';

describe('embedded database restart (recycle)', () => {
  it('restarts PGlite between queries: queries and transactions running meanwhile all finish, data stays', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'siyu-recycle-'));
    const database = await openDatabase({ dataDir: dir });
    try {
      const { db } = database;
      await sql`CREATE TABLE t (n int PRIMARY KEY)`.execute(db);
      const started = async () => (await sql<{ t: string }>`SELECT pg_postmaster_start_time()::text AS t`.execute(db)).rows[0]!.t;
      const before = await started();
      const writers = Array.from({ length: 40 }, (_, n) =>
        db.transaction().execute(async (trx) => {
          await sql`INSERT INTO t VALUES (${n})`.execute(trx);
          await new Promise((r) => setTimeout(r, 2));
          await sql`SELECT pg_sleep(0.001)`.execute(trx);
        }),
      );
      const recycles = [database.recycle!(), new Promise((r) => setTimeout(r, 20)).then(() => database.recycle!())];
      await Promise.all([...writers, ...recycles]);
      const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM t`.execute(db);
      expect(rows[0]!.n).toBe(40);
      expect(await started()).not.toBe(before);
      // A statement that fails after a restart is reported like any other, and the connection keeps working.
      await expect(sql`SELECT * FROM missing_table`.execute(db)).rejects.toThrow(/missing_table/);
      expect((await sql<{ one: number }>`SELECT 1 AS one`.execute(db)).rows[0]!.one).toBe(1);
    } finally {
      await database.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000); // a new data folder runs initdb (in a child process) first
});
