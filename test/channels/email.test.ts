import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { bearer, buildTestServer, newWorkspace } from '../support/app.js';
import { describeEachDatabase } from '../support/databases.js';
import { UNSUBSCRIBE_URL_PLACEHOLDER } from '../../src/modules/channels/index.js';
import './support.js';

interface Received {
  from: string;
  to: string[];
  raw: string;
}

/** Decodes quoted-printable (soft breaks and =XX), enough to read the HTML part nodemailer wrote. */
const qp = (s: string) => Buffer.from(s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');

function part(raw: string, type: string): string {
  const m = new RegExp(`Content-Type: ${type}[^\\r\\n]*\\r\\n(?:[^\\r\\n]+\\r\\n)*\\r\\n([\\s\\S]*?)\\r\\n--`).exec(raw);
  if (!m) throw new Error(`no ${type} part`);
  return qp(m[1]!);
}
/** A header's value, unfolded (nodemailer folds long ones, even right after the colon). */
const header = (raw: string, name: string) =>
  new RegExp(`^${name}:([^\\r\\n]*(?:\\r\\n[ \\t][^\\r\\n]*)*)`, 'mi').exec(raw)?.[1]?.replace(/\r\n[ \t]+/g, ' ').trim();

describeEachDatabase('email over SMTP', (ctx) => {
  let app: FastifyInstance;
  let smtp: SMTPServer;
  let port = 0;
  const received: Received[] = [];

  beforeAll(async () => {
    app = await buildTestServer(ctx.database);
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onRcptTo(address, _session, callback) {
        if (address.address.startsWith('nobody.')) return callback(Object.assign(new Error('5.1.1 No such user'), { responseCode: 550 }));
        if (address.address.startsWith('later.')) return callback(Object.assign(new Error('4.2.1 Mailbox busy, try later'), { responseCode: 451 }));
        callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    port = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  async function emailChannel(adminToken: string): Promise<string> {
    const res = await app.inject({
      method: 'POST', url: '/api/v1/channels', headers: bearer(adminToken),
      payload: { provider: 'smtp', name: 'mail', settings: { host: '127.0.0.1', port, from: 'Brand <news@brand.test>', unsubscribeMailto: 'unsub@brand.test' }, secrets: {} },
    });
    expect(res.statusCode).toBe(201);
    return (res.json() as { id: string }).id;
  }
  const send = (adminToken: string, channelId: string, to: string, idempotencyKey: string) =>
    app.inject({
      method: 'POST', url: `/api/v1/channels/${channelId}/send`, headers: bearer(adminToken),
      payload: { to, idempotencyKey, message: { channel: 'email', subject: '欢迎 Welcome', html: `<html><body><p>Hello <b>Li</b></p><a href="https://shop.brand.test/new?src=mail&amp;x=1">New arrivals</a><a href="${UNSUBSCRIBE_URL_PLACEHOLDER}">退订</a></body></html>` } },
    });

  it('sends HTML and text parts with List-Unsubscribe, a tracked link and an open pixel; opens and clicks reach the profile', async () => {
    const ws = await newWorkspace(ctx.database);
    const channelId = await emailChannel(ws.adminToken);
    const to = `li.${ws.id}@example.test`;
    const sent = await send(ws.adminToken, channelId, to, 'welcome-1');
    expect(sent.json()).toMatchObject({ ok: true, duplicate: false });
    const mail = received.find((r) => r.to.includes(to))!;
    expect(mail.from).toBe('news@brand.test');
    expect(header(mail.raw, 'Content-Type')).toMatch(/^multipart\/alternative/);
    expect(part(mail.raw, 'text/plain')).toContain('New arrivals (https://shop.brand.test/new?src=mail&x=1)');
    const listUnsubscribe = header(mail.raw, 'List-Unsubscribe')!;
    expect(listUnsubscribe).toMatch(/^<http:\/\/127\.0\.0\.1:3000\/u\/[^>]+>, <mailto:unsub@brand\.test\?subject=unsubscribe>$/);
    expect(header(mail.raw, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');

    const html = part(mail.raw, 'text/html');
    const click = /href="http:\/\/127\.0\.0\.1:3000(\/t\/c\/[^"]+)"/.exec(html)![1]!;
    const pixel = /<img src="http:\/\/127\.0\.0\.1:3000(\/t\/o\/[^"]+\.gif)"/.exec(html)![1]!;
    // the template's unsubscribe link became this delivery's own, and is not click-tracked
    expect(html).toContain(`<a href="${listUnsubscribe.split(',')[0]!.slice(1, -1)}">退订</a>`);
    const redirect = await app.inject({ method: 'GET', url: click });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('https://shop.brand.test/new?src=mail&x=1');
    const gif = await app.inject({ method: 'GET', url: pixel });
    expect(gif.statusCode).toBe(200);
    expect(gif.headers['content-type']).toBe('image/gif');
    expect((await app.inject({ method: 'GET', url: `${click}x` })).statusCode).toBe(404);

    const events = await ctx.database.db.selectFrom('events').select(['event', 'properties', 'profile_id']).where('workspace_id', '=', ws.id).orderBy('id').execute();
    expect(events.map((e) => e.event)).toEqual(['Message Sent', 'Email Link Clicked', 'Email Opened']);
    expect(new Set(events.map((e) => e.profile_id)).size).toBe(1);
    expect(events[1]!.properties).toMatchObject({ channel: 'email', url: 'https://shop.brand.test/new?src=mail&x=1', source: 'manual' });
    const email = await ctx.database.db.selectFrom('identifiers').select('profile_id').where('workspace_id', '=', ws.id).where('type', '=', 'email').where('value', '=', to).executeTakeFirstOrThrow();
    expect(email.profile_id).toBe(events[0]!.profile_id);
  });

  it('sends once per idempotency key, honours a one-click unsubscribe, and classifies SMTP refusals', async () => {
    const ws = await newWorkspace(ctx.database);
    const channelId = await emailChannel(ws.adminToken);
    const to = `wang.${ws.id}@example.test`;
    const first = (await send(ws.adminToken, channelId, to, 'k-1')).json() as { deliveryId: string };
    const again = (await send(ws.adminToken, channelId, to, 'k-1')).json() as { deliveryId: string; duplicate: boolean };
    expect(again).toMatchObject({ deliveryId: first.deliveryId, duplicate: true, ok: true });
    expect(received.filter((r) => r.to.includes(to))).toHaveLength(1);

    const mail = received.find((r) => r.to.includes(to))!;
    const unsubscribePath = /<http:\/\/127\.0\.0\.1:3000(\/u\/[^>]+)>/.exec(header(mail.raw, 'List-Unsubscribe')!)![1]!;
    const page = await app.inject({ method: 'GET', url: unsubscribePath });
    expect(page.body).toContain('<form method="post"');
    const oneClick = await app.inject({ method: 'POST', url: unsubscribePath, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'List-Unsubscribe=One-Click' });
    expect(oneClick.statusCode).toBe(200);
    const blocked = (await send(ws.adminToken, channelId, to, 'k-2')).json();
    expect(blocked).toMatchObject({ ok: false, error: { kind: 'permanent', code: 'unsubscribed' } });
    expect(received.filter((r) => r.to.includes(to))).toHaveLength(1);
    const unsubscribed = await ctx.database.db.selectFrom('events').select(['event', 'properties']).where('workspace_id', '=', ws.id).where('event', '=', 'Unsubscribed').execute();
    expect(unsubscribed).toHaveLength(1);
    expect(unsubscribed[0]!.properties).toMatchObject({ method: 'one_click', channel: 'email' });

    expect((await send(ws.adminToken, channelId, `nobody.${ws.id}@example.test`, 'k-3')).json()).toMatchObject({ ok: false, error: { kind: 'invalid_recipient', code: 'smtp_550' } });
    const busy = (await send(ws.adminToken, channelId, `later.${ws.id}@example.test`, 'k-4')).json() as { deliveryId: string };
    expect(busy).toMatchObject({ ok: false, error: { kind: 'retryable', code: 'smtp_451' } });
    // A retryable failure is taken again under the same key (a second attempt), not answered from the record.
    const retried = (await send(ws.adminToken, channelId, `later.${ws.id}@example.test`, 'k-4')).json();
    expect(retried).toMatchObject({ deliveryId: busy.deliveryId, duplicate: false, ok: false });
    const row = await ctx.database.db.selectFrom('channel_deliveries').select(['attempts', 'status']).where('workspace_id', '=', ws.id).where('id', '=', busy.deliveryId).executeTakeFirstOrThrow();
    expect(row).toEqual({ attempts: 2, status: 'failed' });
    const failedEvents = await ctx.database.db.selectFrom('events').select('event').where('workspace_id', '=', ws.id).where('event', '=', 'Message Failed').execute();
    expect(failedEvents).toHaveLength(2); // unsubscribed + invalid recipient; retryable failures are not final
  });

  it('tests the SMTP connection', async () => {
    const ws = await newWorkspace(ctx.database);
    const channelId = await emailChannel(ws.adminToken);
    expect((await app.inject({ method: 'POST', url: `/api/v1/channels/${channelId}/test`, headers: bearer(ws.adminToken) })).json()).toMatchObject({ ok: true });
  });
});
