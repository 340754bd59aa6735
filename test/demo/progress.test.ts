import { expect, it } from 'vitest';
import { buildServer } from '../../src/apps/server/server.js';
import { demoLoadProgress, loadDemoBrand } from '../../src/modules/demo/index.js';
import { describeEachDatabase } from '../support/databases.js';

describeEachDatabase('the demo brand loading, as the console sees it', (ctx) => {
  it('GET /api/v1/console-config says how far the load has got while it runs, and null before and after', async () => {
    const app = await buildServer({ database: ctx.database, publicUrl: 'http://127.0.0.1:3000', demo: true, demoProgress: demoLoadProgress });
    await app.ready();
    try {
      const config = async () => (await app.inject({ method: 'GET', url: '/api/v1/console-config' })).json().demoLoading;
      expect(await config()).toBeNull();
      const seen: unknown[] = [];
      await loadDemoBrand(ctx.database.db, {
        workspaceId: `ws_demo_progress_${ctx.kind}_${Date.now().toString(36)}`,
        members: 700,
        onProgress: (p) => {
          // Asked from within the load (the reply is read after the callback returns).
          seen.push({ expected: { step: p.step, members: p.members, totalMembers: p.totalMembers }, answer: config() });
        },
      });
      const answers = await Promise.all(seen.map(async (s) => ({ ...(s as { expected: unknown }), answer: await (s as { answer: Promise<unknown> }).answer })));
      expect(answers.map((a) => a.answer)).toEqual([
        { step: 'members', members: 500, totalMembers: 700 },
        { step: 'members', members: 700, totalMembers: 700 },
        { step: 'lifecycle', members: 700, totalMembers: 700 },
      ]);
      expect(await config()).toBeNull();
    } finally {
      await app.close();
    }
  }, 120_000);
});
