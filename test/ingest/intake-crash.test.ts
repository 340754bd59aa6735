import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { describe } from 'vitest';
import { intakeApplier } from '../../src/modules/ingest/index.js';
import { openTestDatabase, TEST_POSTGRES_URL, testDatabaseKinds, testPostgresSchema } from '../support/databases.js';
import { basic, newWorkspace } from '../support/app.js';

/**
 * A serving process accepts batches into the intake and applies them while it is killed with SIGKILL. Afterwards
 * (the start-up drain of the next process, run here) every message answered 200 is stored, and the intake is empty.
 */
describe.skipIf(!testDatabaseKinds().includes('postgres'))('ingest intake: server killed with SIGKILL [postgres]', () => {
  it('loses no accepted message and stores each once', async () => {
    const database = await openTestDatabase('postgres');
    let child: ReturnType<typeof spawn> | undefined;
    try {
      const ws = await newWorkspace(database, 'intake-crash');
      child = spawn(process.execPath, ['--import', 'tsx', 'test/ingest/intake-process.ts'], {
        env: { ...process.env, INTAKE_TEST_DATABASE_URL: TEST_POSTGRES_URL, INTAKE_TEST_SCHEMA: testPostgresSchema() },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const port = await new Promise<number>((resolve, reject) => {
        child!.stdout!.on('data', (d: Buffer) => {
          const m = /ready (\d+)/.exec(d.toString());
          if (m) resolve(Number(m[1]));
        });
        child!.once('exit', (code) => reject(new Error(`child exited early (${code})`)));
        setTimeout(() => reject(new Error('child did not start')), 60_000);
      });
      const acked = new Set<string>();
      const sent = new Set<string>();
      let stop = false;
      const sender = async (s: number) => {
        for (let r = 0; !stop; r++) {
          const batch = Array.from({ length: 50 }, (_, k) => ({
            type: 'track', event: 'Viewed', userId: `kc-${(r * 7 + k) % 60}`, messageId: `kc-${ws.id}-${s}-${r}-${k}`, properties: { r },
          }));
          for (const m of batch) sent.add(m.messageId);
          try {
            const res = await fetch(`http://127.0.0.1:${port}/v1/batch`, {
              method: 'POST', headers: { ...basic(ws.writeKey), 'content-type': 'application/json' }, body: JSON.stringify({ batch }),
            });
            if (res.status === 200) for (const m of batch) acked.add(m.messageId);
          } catch {
            return; // the server is gone
          }
        }
      };
      const senders = Array.from({ length: 6 }, (_, s) => sender(s));
      // Let it accept and apply for a while, then kill it mid-stream.
      await new Promise((r) => setTimeout(r, 2_500));
      child.kill('SIGKILL');
      stop = true;
      await Promise.all(senders);
      const c = child;
      await new Promise((r) => (c.exitCode !== null || c.signalCode !== null ? r(null) : c.once('exit', r)));
      expect(acked.size).toBeGreaterThan(0);
      const left = await database.db.selectFrom('ingest_intake').select('id').where('workspace_id', '=', ws.id).execute();
      // What a restarted process does at start-up.
      await intakeApplier.sweep(database.db);
      await intakeApplier.idle(database.db);
      const events = await database.db.selectFrom('events').select('message_id').where('workspace_id', '=', ws.id).execute();
      const stored = new Set(events.map((e) => e.message_id));
      expect(stored.size).toBe(events.length);
      for (const id of acked) expect(stored.has(id)).toBe(true);
      for (const id of stored) expect(sent.has(id)).toBe(true);
      expect(await database.db.selectFrom('ingest_intake').select('id').where('workspace_id', '=', ws.id).execute()).toEqual([]);
      process.stderr.write(`intake crash test: ${acked.size} messages acknowledged, ${left.length} requests left in the intake at the kill, ${stored.size} stored\n`);
    } finally {
      if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await database.close();
    }
  }, 120_000);
});
