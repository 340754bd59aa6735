import { afterEach, expect, it } from 'vitest';
import { buildServer } from '../../src/apps/server/server.js';
import { intakeApplier, setIntakeMode } from '../../src/modules/ingest/index.js';
import { trustProxyFromEnv } from '../../src/platform/config.js';
import type { Db } from '../../src/platform/db/database.js';
import { describeEachDatabase } from '../support/databases.js';
import { basic, buildTestServer, newWorkspace } from '../support/app.js';
import { mid } from '../support/ingest.js';

afterEach(() => {
  setIntakeMode(undefined);
  delete process.env.SIYU_INGEST_APPLIER;
});

async function contextOf(db: Db, workspaceId: string, messageId: string): Promise<Record<string, unknown> | null> {
  const row = await db.selectFrom('events').select('context').where('workspace_id', '=', workspaceId).where('message_id', '=', messageId).executeTakeFirstOrThrow();
  return (typeof row.context === 'string' ? JSON.parse(row.context) : row.context) as Record<string, unknown> | null;
}

describeEachDatabase('ingest: context.ip from the request (as Segment fills it)', (ctx) => {
  it.each(['inline', 'intake'] as const)('a message without context.ip gets the sender address; one with its own keeps it (%s path)', async (path) => {
    const { db } = ctx.database;
    const app = await buildTestServer(ctx.database);
    const ws = await newWorkspace(ctx.database);
    if (path === 'intake') {
      setIntakeMode('always');
      process.env.SIYU_INGEST_APPLIER = 'off';
    }
    const [bare, own, batchLevel, single] = [mid('ip'), mid('ip'), mid('ip'), mid('ip')];
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: basic(ws.writeKey),
      remoteAddress: '203.0.113.7',
      payload: {
        batch: [
          { type: 'track', event: 'Viewed', userId: 'ip-1', messageId: bare, context: { locale: 'zh-CN' } },
          { type: 'track', event: 'Viewed', userId: 'ip-1', messageId: own, context: { ip: '198.51.100.4' } },
        ],
      },
    });
    expect(batch.statusCode).toBe(200);
    const withBatchIp = await app.inject({
      method: 'POST',
      url: '/v1/batch',
      headers: basic(ws.writeKey),
      remoteAddress: '203.0.113.7',
      payload: { context: { ip: '192.0.2.9' }, batch: [{ type: 'track', event: 'Viewed', userId: 'ip-1', messageId: batchLevel }] },
    });
    expect(withBatchIp.statusCode).toBe(200);
    const one = await app.inject({ method: 'POST', url: '/v1/t', headers: basic(ws.writeKey), remoteAddress: '2001:db8::1', payload: { event: 'Viewed', anonymousId: 'anon-ip', messageId: single } });
    expect(one.statusCode).toBe(200);
    if (path === 'intake') {
      expect(one.json().queued).toBe(true);
      delete process.env.SIYU_INGEST_APPLIER;
      await intakeApplier.sweep(db);
      await intakeApplier.idle(db);
    }
    expect(await contextOf(db, ws.id, bare)).toEqual({ locale: 'zh-CN', ip: '203.0.113.7' });
    expect(await contextOf(db, ws.id, own)).toEqual({ ip: '198.51.100.4' });
    expect(await contextOf(db, ws.id, batchLevel)).toEqual({ ip: '192.0.2.9' });
    expect(await contextOf(db, ws.id, single)).toEqual({ ip: '2001:db8::1' });
    await app.close();
  });

  it('behind a trusted proxy the address is the X-Forwarded-For client; an untrusted sender cannot forge it', async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    const send = async (app: Awaited<ReturnType<typeof buildServer>>, messageId: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/track',
        headers: { ...basic(ws.writeKey), 'x-forwarded-for': '100.64.1.2, 10.0.0.5' },
        remoteAddress: '10.0.0.1',
        payload: { event: 'Viewed', userId: 'ip-2', messageId },
      });
    const proxied = await buildServer({ database: ctx.database, publicUrl: 'http://127.0.0.1:3000', demo: false }, { trustProxy: trustProxyFromEnv({ SIYU_TRUST_PROXY: '10.0.0.0/8' }) });
    const direct = await buildTestServer(ctx.database);
    const [viaProxy, forged] = [mid('ip'), mid('ip')];
    expect((await send(proxied, viaProxy)).statusCode).toBe(200);
    expect((await send(direct, forged)).statusCode).toBe(200);
    expect(await contextOf(db, ws.id, viaProxy)).toEqual({ ip: '100.64.1.2' });
    expect(await contextOf(db, ws.id, forged)).toEqual({ ip: '10.0.0.1' });
    await Promise.all([proxied.close(), direct.close()]);
  });
});

it('SIYU_TRUST_PROXY: off by default; true, hops, or a list of addresses and ranges; anything else is refused by name', () => {
  expect(trustProxyFromEnv({})).toBe(false);
  expect(trustProxyFromEnv({ SIYU_TRUST_PROXY: 'false' })).toBe(false);
  expect(trustProxyFromEnv({ SIYU_TRUST_PROXY: 'true' })).toBe(true);
  const hops = trustProxyFromEnv({ SIYU_TRUST_PROXY: '1' }) as (a: string, hop: number) => boolean;
  expect([hops('10.0.0.1', 0), hops('10.0.0.1', 1)]).toEqual([true, false]);
  expect(trustProxyFromEnv({ SIYU_TRUST_PROXY: '127.0.0.1, 10.0.0.0/8,loopback' })).toEqual(['127.0.0.1', '10.0.0.0/8', 'loopback']);
  expect(() => trustProxyFromEnv({ SIYU_TRUST_PROXY: 'nginx' })).toThrow(/SIYU_TRUST_PROXY: "nginx"/);
});
