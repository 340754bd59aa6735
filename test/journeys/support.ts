import { randomBytes } from 'node:crypto';
import type { Database } from '../../src/platform/db/database.js';
import { createChannelConfig, setSecretKey } from '../../src/modules/channels/index.js';
import { ingestMessages } from '../../src/modules/ingest/index.js';
import { createTemplate } from '../../src/modules/templates/index.js';
import { createJourney, drainJourneys, publishJourney } from '../../src/modules/journeys/index.js';
import { nextTimeOfDay } from '../../src/modules/journeys/time.js';
import { startFakeServer, type FakeServer } from '../channels/support.js';
import { mid } from '../support/ingest.js';

setSecretKey(randomBytes(32));

/** An SMS gateway and a webhook sink on 127.0.0.1 counting messages by idempotency key. */
export async function startSink(): Promise<FakeServer & { byKey: Map<string, number>; bodies: Array<{ to?: string; text?: string; key: string }> }> {
  const byKey = new Map<string, number>();
  const bodies: Array<{ to?: string; text?: string; key: string }> = [];
  const server = await startFakeServer((req) => {
    const key = String(req.headers['idempotency-key']);
    byKey.set(key, (byKey.get(key) ?? 0) + 1);
    const body = JSON.parse(req.body || '{}') as { to?: string; text?: string };
    bodies.push({ ...body, key });
    if (req.url.pathname === '/refuse') return { status: 422, json: { code: 'invalid_recipient' } };
    return { json: { id: `m-${bodies.length}` } };
  });
  return Object.assign(server, { byKey, bodies });
}

export async function profile(database: Database, ws: string, userId: string, traits: Record<string, unknown> = {}): Promise<number> {
  await ingestMessages(database.db, ws, [{ type: 'identify', userId, traits, messageId: mid('id') }]);
  const row = await database.db
    .selectFrom('identifiers')
    .select('profile_id')
    .where('workspace_id', '=', ws)
    .where('type', '=', 'userId')
    .where('value', '=', userId)
    .executeTakeFirstOrThrow();
  return row.profile_id!;
}

/** Several profiles in one batch: userIds and phones. Returns their ids in order. */
export async function profilesBatch(database: Database, ws: string, people: Array<{ userId: string; traits?: Record<string, unknown> }>): Promise<number[]> {
  await ingestMessages(database.db, ws, people.map((p) => ({ type: 'identify', userId: p.userId, traits: p.traits ?? {}, messageId: mid('id') })));
  const rows = await database.db.selectFrom('identifiers').select(['value', 'profile_id']).where('workspace_id', '=', ws).where('type', '=', 'userId').execute();
  const byUser = new Map(rows.map((r) => [r.value, r.profile_id!]));
  return people.map((p) => byUser.get(p.userId)!);
}

export async function track(database: Database, ws: string, userId: string, event: string, properties: Record<string, unknown> = {}, timestamp = new Date()) {
  await ingestMessages(database.db, ws, [{ type: 'track', userId, event, properties, timestamp: timestamp.toISOString(), messageId: mid('ev') }]);
}

export async function smsChannel(database: Database, ws: string, url: string, text = '{{ traits.name }}, hello') {
  const channel = await createChannelConfig(database.db, ws, { provider: 'sms_http', name: 'sms', enabled: true, settings: { url, messageIdField: 'id' }, secrets: {} });
  const template = await createTemplate(database.db, ws, { name: `sms ${mid('t')}`, channel: 'sms', parts: { text, rule: 'china' } });
  return { channelId: channel.id, templateId: template.id };
}

export async function webhookChannel(database: Database, ws: string, url: string) {
  const channel = await createChannelConfig(database.db, ws, {
    provider: 'webhook', name: 'hook', enabled: true,
    // A generous timeout: the sink answers in this process, and a loaded machine (or a long PGlite call on the same
    // event loop) can stall it past 5 s; the call then counts as timed out and is retried (attempts 2, seen once).
    settings: { url, timeoutMs: 30_000, maxAttempts: 1, backoffMs: 0 }, secrets: { signingSecret: 'whsec' },
  });
  const template = await createTemplate(database.db, ws, { name: `hook ${mid('t')}`, channel: 'webhook', parts: { body: '{"profileId": {{ profile.id | json }}}' } });
  return { channelId: channel.id, templateId: template.id };
}

export async function published(database: Database, ws: string, definition: unknown, name = 'journey') {
  const j = await createJourney(database.db, ws, { name, definition });
  return publishJourney(database.db, ws, j.id);
}

/** Runs one workspace's journey work until quiet at a given clock (other test files' workspaces are left alone). */
export const drainAt = (database: Database, workspaceId: string, now: Date) =>
  drainJourneys(database.db, { publicUrl: 'http://127.0.0.1:3000', now: () => now, leaseMs: 60_000, workspaceId });

export const HOUR = 3_600_000;
/** The next noon in Shanghai (workspaces default to Asia/Shanghai): outside quiet hours, and after any event ingested now. */
export const nextNoon = () => nextTimeOfDay(new Date(), '12:00', 'Asia/Shanghai');
