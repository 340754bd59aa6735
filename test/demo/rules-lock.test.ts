import { expect, it } from 'vitest';
import { computeDemoRules } from '../../src/modules/demo/index.js';
import { lockRulesShared } from '../../src/modules/segments/index.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { describeEachDatabase, TEST_POSTGRES_URL, testPostgresSchema } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeEachDatabase('the demo load beside the rules worker', (ctx) => {
  // Needs a second connection holding a lock while the first works: PostgreSQL only (PGlite has one connection).
  it.runIf(ctx.kind === 'postgres')('replays AIPL history and RFM holding the rules lock exclusively, so a real-time pass under way finishes first', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const other = await openDatabase({ url: TEST_POSTGRES_URL, schema: testPostgresSchema(), poolSize: 1 });
    let finishPass = () => {};
    try {
      // A real-time pass of the rules worker, mid-transaction: it holds the workspace's rules lock shared.
      let passHolds!: () => void;
      const holding = new Promise<void>((r) => (passHolds = r));
      const pass = other.db.transaction().execute(async (trx) => {
        await lockRulesShared(trx, ws.id);
        passHolds();
        await new Promise<void>((r) => (finishPass = r));
      });
      await holding;
      let done = false;
      const replay = computeDemoRules(db, ws.id, new Date()).then(() => (done = true));
      await settle(500);
      expect(done).toBe(false); // waits for the pass instead of writing the same rows beside it
      finishPass();
      await pass;
      await replay;
      expect(done).toBe(true);
    } finally {
      finishPass();
      await other.close();
    }
  });
});
