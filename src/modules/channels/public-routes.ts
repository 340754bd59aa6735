import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import type { AppContext } from '../../platform/http/context.js';
import { defineRoute } from '../../platform/http/route.js';
import { AppError, notFound } from '../../platform/errors.js';
import { openChannelConfig } from './configs.js';
import { recordClick, recordOpen, recordUnsubscribe } from './engagement.js';
import { withinBudget } from './inbound.js';
import { TRANSPARENT_GIF, verifyTrackingToken } from './tracking.js';
import { handleWechatPush, verifyWechatUrl } from './wechat/push.js';
import { handleWecomCallback, verifyWecomUrl } from './wecom/callback.js';

/** WeChat gives up on a push after 5 s; answer well inside that, letting slow work finish behind the answer. */
const WECHAT_REPLY_BUDGET_MS = 4_000;

const WechatQuery = z.object({
  signature: z.string().optional(),
  timestamp: z.string().optional(),
  nonce: z.string().optional(),
  echostr: z.string().optional(),
  openid: z.string().optional(),
  encrypt_type: z.string().optional(),
  msg_signature: z.string().optional(),
});
const WecomQuery = z.object({ msg_signature: z.string().optional(), timestamp: z.string().optional(), nonce: z.string().optional(), echostr: z.string().optional() });
const CallbackParams = z.object({ workspaceId: z.string(), channelId: z.string() });

/**
 * Endpoints reached by people and providers, not by API clients: no credentials, trust comes from signed tokens
 * (tracking, unsubscribe) and from each provider's signature (callbacks). Registered in their own scope, which
 * also reads XML and form bodies.
 */
export async function registerChannelPublicRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (scope) => {
    scope.addContentTypeParser(['text/xml', 'application/xml', 'text/plain'], { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) =>
      done(null, Object.fromEntries(new URLSearchParams(String(body)))),
    );
    registerTracking(scope, ctx);
    registerCallbacks(scope, ctx);
  });
}

function registerTracking(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Tracking'];
  // Tokens carry a signed link and run past Fastify's 100-character limit on a `:param`, hence the wildcards.
  const Token = z.object({ '*': z.string().describe('the signed token') }).transform((p) => ({ token: p['*'] }));
  const OpenToken = z.object({ '*': z.string().regex(/\.gif$/, 'ends with .gif') }).transform((p) => ({ token: p['*'].slice(0, -'.gif'.length) }));

  defineRoute(app, { method: 'GET', url: '/t/o/*', summary: 'Email open pixel `/t/o/<token>.gif` (a 1×1 GIF; records "Email Opened")', tags, auth: 'none', params: OpenToken },
    async ({ params, reply }) => {
      const claims = verifyTrackingToken(params.token, 'open');
      if (claims) await recordOpen(db, claims);
      // A broken image shows in the mail client, so even a bad token gets the pixel; nothing is recorded for it.
      reply.header('cache-control', 'no-store, max-age=0').type('image/gif').send(TRANSPARENT_GIF);
    });

  defineRoute(app, { method: 'GET', url: '/t/c/*', summary: 'Click redirect `/t/c/<token>`: records "Email Link Clicked" and redirects to the signed link', tags, auth: 'none', params: Token },
    async ({ params, reply }) => {
      const claims = verifyTrackingToken(params.token, 'click');
      if (!claims?.url) throw notFound('link');
      await recordClick(db, claims);
      reply.header('cache-control', 'no-store').redirect(claims.url, 302);
    });

  defineRoute(app, { method: 'GET', url: '/u/*', summary: 'Unsubscribe page `/u/<token>` (a confirmation form; unsubscribing takes the POST)', tags, auth: 'none', params: Token },
    async ({ params, reply }) => {
      if (!verifyTrackingToken(params.token, 'unsubscribe')) throw notFound('unsubscribe link');
      reply.type('text/html; charset=utf-8').send(page('Unsubscribe', `<p>Stop receiving these messages?</p>
<form method="post"><button type="submit" name="confirm" value="yes">Unsubscribe · 退订</button></form>`));
    });

  defineRoute(app, { method: 'POST', url: '/u/*', summary: 'Unsubscribe `/u/<token>`: the page\'s form, or RFC 8058 one-click (List-Unsubscribe=One-Click)', tags, auth: 'none', params: Token },
    async ({ params, request, reply }) => {
      const claims = verifyTrackingToken(params.token, 'unsubscribe');
      if (!claims) throw notFound('unsubscribe link');
      const form = (request.body ?? {}) as Record<string, unknown>;
      const done = await recordUnsubscribe(db, claims, form['List-Unsubscribe'] === 'One-Click' ? 'one_click' : 'page');
      if (!done) throw notFound('message');
      reply.type('text/html; charset=utf-8').send(page('Unsubscribed', '<p>You are unsubscribed. · 您已退订。</p>'));
    });
}

function registerCallbacks(app: FastifyInstance, ctx: AppContext): void {
  const { db } = ctx.database;
  const tags = ['Callbacks'];

  async function configOf(workspaceId: string, channelId: string, provider: 'wechat_oa' | 'wecom') {
    const config = await openChannelConfig(db, workspaceId, channelId);
    if (config.provider !== provider) throw notFound(`${provider} channel ${channelId}`);
    return config;
  }
  const bodyText = (body: unknown) => {
    if (typeof body !== 'string' || !body.trim()) throw new AppError('invalid_request', 'expected an XML body');
    return body;
  };

  defineRoute(app, { method: 'GET', url: '/callbacks/wechat/:workspaceId/:channelId', summary: 'WeChat server URL verification (echostr)', tags, auth: 'none',
    params: CallbackParams, query: WechatQuery },
    async ({ params, query, reply }) => {
      const config = await configOf(params.workspaceId, params.channelId, 'wechat_oa');
      reply.type('text/plain').send(verifyWechatUrl(config, query));
    });

  defineRoute(app, { method: 'POST', url: '/callbacks/wechat/:workspaceId/:channelId', summary: 'WeChat push: messages and events (plaintext or safe mode), answered within 5 s', tags, auth: 'none',
    params: CallbackParams, query: WechatQuery },
    async ({ params, query, request, reply }) => {
      const config = await configOf(params.workspaceId, params.channelId, 'wechat_oa');
      const work = handleWechatPush(db, params.workspaceId, config, query, bodyText(request.body));
      const answer = await withinBudget(work, WECHAT_REPLY_BUDGET_MS, 'success', (err) => request.log.error({ err }, 'WeChat push failed after the reply'));
      reply.type(answer.startsWith('<xml>') ? 'application/xml' : 'text/plain').send(answer);
    });

  defineRoute(app, { method: 'GET', url: '/callbacks/wecom/:workspaceId/:channelId', summary: 'WeCom callback URL verification (decrypted echostr)', tags, auth: 'none',
    params: CallbackParams, query: WecomQuery },
    async ({ params, query, reply }) => {
      const config = await configOf(params.workspaceId, params.channelId, 'wecom');
      reply.type('text/plain').send(verifyWecomUrl(config, query));
    });

  defineRoute(app, { method: 'POST', url: '/callbacks/wecom/:workspaceId/:channelId', summary: 'WeCom callback: change_external_contact events (encrypted)', tags, auth: 'none',
    params: CallbackParams, query: WecomQuery },
    async ({ params, query, request, reply }) => {
      const config = await configOf(params.workspaceId, params.channelId, 'wecom');
      const work = handleWecomCallback(db, params.workspaceId, config, query, bodyText(request.body));
      const answer = await withinBudget(work, WECHAT_REPLY_BUDGET_MS, 'success', (err) => request.log.error({ err }, 'WeCom callback failed after the reply'));
      reply.type('text/plain').send(answer);
    });
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="zh"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${title}</title></head><body style="font-family:sans-serif;max-width:28rem;margin:4rem auto;text-align:center">${body}</body></html>`;
}
