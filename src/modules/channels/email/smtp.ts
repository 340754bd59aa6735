import { createHash } from 'node:crypto';
import nodemailer from 'nodemailer';
import { failure, networkFailure, type AdapterContext, type ChannelAdapter, type SendFailure, type SendResult } from '../adapter.js';
import type { ChannelMessage } from '../schema.js';
import { addTracking, trackingUrls, UNSUBSCRIBE_URL_PLACEHOLDER } from '../tracking.js';

interface SmtpSettings {
  host: string;
  port: number;
  secure: boolean;
  from: string;
  replyTo?: string;
  unsubscribeMailto?: string;
}

/**
 * Email over SMTP: HTML and text parts, List-Unsubscribe with one-click POST (RFC 8058), open pixel and signed click
 * redirects. SMTP has no idempotency key, so the Message-ID is derived from it: a resend after a crash carries the
 * same Message-ID and receiving systems can fold the two.
 */
export function smtpAdapter(ctx: AdapterContext): ChannelAdapter {
  const settings = ctx.settings as unknown as SmtpSettings;
  const auth = ctx.secrets.user ? { user: ctx.secrets.user, pass: ctx.secrets.password ?? '' } : undefined;
  const transportOptions = {
    host: settings.host,
    port: settings.port,
    secure: settings.secure,
    auth,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  };
  return {
    channel: 'email',
    provider: 'smtp',
    async send(message: ChannelMessage, recipient, idempotencyKey): Promise<SendResult> {
      if (message.channel !== 'email') return failure('permanent', 'wrong_channel', `an email channel cannot send a ${message.channel} message`);
      if (!/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(recipient.to)) return failure('invalid_recipient', 'invalid_address', `not an email address: ${recipient.to}`);
      const domain = settings.from.match(/@([^>\s]+)/)?.[1] ?? 'siyu.local';
      const messageId = `<${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32)}@${domain}>`;
      const headers: Record<string, string> = {};
      let html = message.html;
      let text = message.text ?? htmlToText(message.html);
      if (ctx.deliveryId) {
        const urls = trackingUrls(ctx.publicUrl, ctx.workspaceId, ctx.deliveryId);
        html = html.split(UNSUBSCRIBE_URL_PLACEHOLDER).join(urls.unsubscribe);
        text = text.split(UNSUBSCRIBE_URL_PLACEHOLDER).join(urls.unsubscribe);
        if (message.tracking) html = addTracking(html, urls);
        if (!message.transactional) {
          const mailto = settings.unsubscribeMailto ? `, <mailto:${settings.unsubscribeMailto}?subject=unsubscribe>` : '';
          headers['List-Unsubscribe'] = `<${urls.unsubscribe}>${mailto}`;
          headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
        }
      }
      const transport = nodemailer.createTransport(transportOptions);
      try {
        const info = await transport.sendMail({
          from: settings.from,
          to: recipient.to,
          replyTo: settings.replyTo,
          subject: message.subject,
          html,
          text,
          messageId,
          headers,
        });
        return { ok: true, providerMessageId: info.messageId };
      } catch (err) {
        return { ok: false, error: classifySmtpError(err) };
      } finally {
        transport.close();
      }
    },
    async testConnection() {
      const transport = nodemailer.createTransport(transportOptions);
      try {
        await transport.verify();
        return { ok: true, detail: `SMTP ${settings.host}:${settings.port} accepted the connection${auth ? ' and login' : ''}` };
      } catch (err) {
        return { ok: false, error: classifySmtpError(err) };
      } finally {
        transport.close();
      }
    },
  };
}

/** SMTP reply codes: 4xx try again later; 5xx on RCPT (550/551/553) means the address, other 5xx the message. */
export function classifySmtpError(err: unknown): SendFailure {
  const e = err as { responseCode?: number; command?: string; code?: string; message?: string };
  const message = e.message ?? String(err);
  if (typeof e.responseCode === 'number') {
    const code = `smtp_${e.responseCode}`;
    if (e.responseCode >= 400 && e.responseCode < 500) return { kind: 'retryable', code, message };
    if (e.command?.startsWith('RCPT') && [550, 551, 553, 501].includes(e.responseCode)) return { kind: 'invalid_recipient', code, message };
    if (e.code === 'EAUTH') return { kind: 'permanent', code: 'auth_failed', message };
    return { kind: 'permanent', code, message };
  }
  if (e.code === 'EAUTH') return { kind: 'permanent', code: 'auth_failed', message };
  if (e.code === 'EENVELOPE') return { kind: 'invalid_recipient', code: 'envelope', message };
  return networkFailure(err).error;
}

/** A plain-text part for clients that show no HTML: tags dropped, links kept after their text. */
export function htmlToText(html: string): string {
  return html
    .replace(/<(style|script)[^>]*>[\s\S]*?<\/\1>/gi, '')
    .replace(/<a\b[^>]*href=["']([^"']+)["'][^>]*>([\s\S]*?)<\/a>/gi, '$2 ($1)')
    .replace(/<br\s*\/?>|<\/p>|<\/div>|<\/h\d>|<\/li>/gi, '\n')
    .replace(/<[^>]+>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
