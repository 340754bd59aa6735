import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, it } from 'vitest';
import { loadDemoBrand } from '../../src/modules/demo/index.js';
import { buildTestServer } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';

/**
 * Embedded PostgreSQL answers through promises alone: a long chain of queries used to keep the event loop from ever
 * reading a socket, so on first start the server accepted no request until the demo brand had loaded (~30 s).
 */
describeEachDatabase('the server while the demo brand loads', (ctx) => {
  it('answers a request over a real socket before the load has finished', async () => {
    const app = await buildTestServer(ctx.database);
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const { port } = app.server.address() as AddressInfo;
      let loaded = false;
      const workspaceId = `ws_demo_turns_${ctx.kind}_${Date.now().toString(36)}`;
      let progressed = 0;
      let sent: Promise<{ status: number; loadedWhenAnswered: boolean }> | undefined;
      const loading = loadDemoBrand(ctx.database.db, {
        workspaceId,
        members: 1500,
        onProgress: () => {
          // Ask once the load is under way (its first chunk written), so the request lands in the middle of it.
          if (++progressed !== 1) return;
          sent = new Promise((resolve, reject) => {
            http
              .get({ host: '127.0.0.1', port, path: '/healthz' }, (res) => {
                res.resume();
                res.on('end', () => resolve({ status: res.statusCode ?? 0, loadedWhenAnswered: loaded }));
              })
              .on('error', reject);
          });
        },
      }).then(() => {
        loaded = true;
      });
      await loading;
      expect(progressed).toBeGreaterThan(2);
      const answer = await sent!;
      expect(answer.status).toBe(200);
      expect(answer.loadedWhenAnswered).toBe(false);
    } finally {
      await app.close();
    }
  }, 180_000);
});
