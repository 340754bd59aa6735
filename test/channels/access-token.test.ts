import { afterAll, beforeAll, expect, it } from 'vitest';
import { getAccessToken, REFRESH_MARGIN_MS } from '../../src/modules/channels/access-token.js';
import { openTestDatabase, describeEachDatabase } from '../support/databases.js';
import { newWorkspace } from '../support/app.js';
import { startFakeServer, type FakeServer } from './support.js';
import type { Database } from '../../src/platform/db/database.js';

describeEachDatabase('provider access tokens', (ctx) => {
  let tokenServer: FakeServer;
  let issued = 0;
  beforeAll(async () => {
    tokenServer = await startFakeServer(() => {
      issued += 1;
      return { delayMs: 50, json: { access_token: `T${issued}`, expires_in: 7200 } };
    });
  });
  afterAll(() => tokenServer.close());

  const source = (workspaceId: string, expiresIn = 7200) => ({
    workspaceId,
    provider: 'wechat_oa' as const,
    appId: 'wxapp',
    fetch: async () => {
      const res = await fetch(tokenServer.url);
      const body = (await res.json()) as { access_token: string };
      return { accessToken: body.access_token, expiresInSeconds: expiresIn };
    },
  });

  it('refreshes once for many concurrent callers, and again only when the token nears expiry', async () => {
    const ws = await newWorkspace(ctx.database);
    const before = issued;
    const tokens = await Promise.all(Array.from({ length: 10 }, () => getAccessToken(ctx.database.db, source(ws.id))));
    expect(new Set(tokens).size).toBe(1);
    expect(issued - before).toBe(1);
    expect(await getAccessToken(ctx.database.db, source(ws.id))).toBe(tokens[0]);
    expect(issued - before).toBe(1);

    // A token that lives less than the refresh margin is refreshed on its next use.
    const shortLived = source(ws.id, REFRESH_MARGIN_MS / 1000 - 1);
    const forced = await getAccessToken(ctx.database.db, shortLived, { forceRefresh: true, rejectToken: tokens[0] });
    expect(forced).not.toBe(tokens[0]);
    const next = await getAccessToken(ctx.database.db, shortLived);
    expect(next).not.toBe(forced);
    expect(issued - before).toBe(3);
  });

  it('serialises refreshes across database handles (processes) on the row lock', async () => {
    if (ctx.kind !== 'postgres') return; // one PGlite has one connection: no second handle to race with
    const other: Database = await openTestDatabase('postgres');
    try {
      const ws = await newWorkspace(ctx.database);
      const before = issued;
      const tokens = await Promise.all([
        ...Array.from({ length: 4 }, () => getAccessToken(ctx.database.db, source(ws.id))),
        ...Array.from({ length: 4 }, () => getAccessToken(other.db, source(ws.id))),
      ]);
      expect(new Set(tokens).size).toBe(1);
      expect(issued - before).toBe(1);
    } finally {
      await other.close();
    }
  });
});
