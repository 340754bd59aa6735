import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { describeEachDatabase } from '../support/databases.js';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { mid, profileOf, sendBatch } from '../support/ingest.js';

describeEachDatabase('deleting a profile erases its messages', (ctx) => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
  });
  afterAll(() => app.close());

  it("removes the deleted person's delivery records (their address and context), keeps others' and the unsubscribe list", async () => {
    const { db } = ctx.database;
    const ws = await newWorkspace(ctx.database);
    await sendBatch(app, ws.writeKey, [
      { type: 'identify', userId: 'erase-me', traits: { phone: '13900002222', email: 'erase@example.com' }, messageId: mid() },
      { type: 'identify', userId: 'keep-me', traits: { phone: '13900003333' }, messageId: mid() },
    ]);
    const gone = await profileOf(app, ws.adminToken, 'userId', 'erase-me');
    const kept = await profileOf(app, ws.adminToken, 'userId', 'keep-me');
    const delivery = (id: string, recipient: string, profileId: number) => ({
      workspace_id: ws.id, id, idempotency_key: `k-${id}`, channel_config_id: 'ch_sms', channel: 'sms', recipient, profile_id: profileId, status: 'sent' as const,
      context: JSON.stringify({ journeyId: 'j1', templateId: 't1' }),
    });
    await db.insertInto('channel_deliveries').values([delivery('d1', '+8613900002222', gone.id), delivery('d2', 'erase@example.com', gone.id), delivery('d3', '+8613900003333', kept.id)]).execute();
    await sql`INSERT INTO channel_unsubscribes (workspace_id, channel, address, delivery_id) VALUES (${ws.id}, 'email', 'erase@example.com', 'd2')`.execute(db);

    const del = await app.inject({ method: 'DELETE', url: `/api/v1/profiles/${gone.id}`, headers: bearer(ws.adminToken) });
    expect(del.statusCode, del.body).toBe(200);
    const left = await db.selectFrom('channel_deliveries').select(['id', 'recipient']).where('workspace_id', '=', ws.id).execute();
    expect(left).toEqual([{ id: 'd3', recipient: '+8613900003333' }]);
    const unsubscribed = await db.selectFrom('channel_unsubscribes').select('address').where('workspace_id', '=', ws.id).execute();
    expect(unsubscribed).toEqual([{ address: 'erase@example.com' }]);
  });
});
