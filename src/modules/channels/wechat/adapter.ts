import { failure, networkFailure, type AdapterContext, type ChannelAdapter, type SendResult } from '../adapter.js';
import type { TokenSource } from '../access-token.js';
import { classifyWxErrcode, fetchWxToken, WxApiClient, WxApiError } from '../wx-api.js';

export interface WechatSettings {
  appId: string;
  apiBaseUrl: string;
}

export function wechatTokenSource(ctx: AdapterContext): TokenSource {
  const settings = ctx.settings as unknown as WechatSettings;
  return {
    workspaceId: ctx.workspaceId,
    provider: 'wechat_oa',
    appId: settings.appId,
    fetch: () => {
      const url = new URL('/cgi-bin/token', settings.apiBaseUrl);
      url.searchParams.set('grant_type', 'client_credential');
      url.searchParams.set('appid', settings.appId);
      url.searchParams.set('secret', ctx.secrets.appSecret ?? '');
      return fetchWxToken(url);
    },
  };
}

/** Failures of the token fetch or the network, classified like any other send failure. */
export function wxCallFailure(err: unknown): { ok: false; error: { kind: 'retryable' | 'permanent' | 'invalid_recipient'; code: string; message: string } } {
  if (err instanceof WxApiError) return failure(classifyWxErrcode(err.errcode), String(err.errcode), err.errmsg);
  return networkFailure(err);
}

/**
 * WeChat Official Account template messages (`/cgi-bin/message/template/send`). The idempotency key travels as
 * `client_msg_id`, which WeChat uses to drop a repeated send of the same message: a crash between the call and its
 * record cannot make the person receive it twice.
 */
export function wechatAdapter(ctx: AdapterContext): ChannelAdapter {
  const settings = ctx.settings as unknown as WechatSettings;
  const client = new WxApiClient(ctx.db, settings.apiBaseUrl, wechatTokenSource(ctx));
  return {
    channel: 'wechat',
    provider: 'wechat_oa',
    async send(message, recipient, idempotencyKey): Promise<SendResult> {
      if (message.channel !== 'wechat') return failure('permanent', 'wrong_channel', `a WeChat channel cannot send a ${message.channel} message`);
      try {
        const answer = await client.call('/cgi-bin/message/template/send', {
          touser: recipient.to,
          template_id: message.templateId,
          ...(message.url ? { url: message.url } : {}),
          ...(message.miniprogram ? { miniprogram: message.miniprogram } : {}),
          data: message.data,
          client_msg_id: idempotencyKey.slice(0, 64),
        });
        if (!answer.errcode) return { ok: true, providerMessageId: String(answer.msgid ?? '') };
        return failure(classifyWxErrcode(answer.errcode), String(answer.errcode), answer.errmsg ?? '');
      } catch (err) {
        return wxCallFailure(err);
      }
    },
    async testConnection() {
      try {
        const answer = await client.call('/cgi-bin/get_api_domain_ip');
        if (answer.errcode) return failure(classifyWxErrcode(answer.errcode), String(answer.errcode), answer.errmsg ?? '');
        return { ok: true, detail: `WeChat issued an access token for ${settings.appId}` };
      } catch (err) {
        return wxCallFailure(err);
      }
    },
  };
}
