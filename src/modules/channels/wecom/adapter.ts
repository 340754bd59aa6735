import { failure, type AdapterContext, type ChannelAdapter, type SendResult } from '../adapter.js';
import type { TokenSource } from '../access-token.js';
import { wxCallFailure } from '../wechat/adapter.js';
import { classifyWxErrcode, fetchWxToken, WxApiClient } from '../wx-api.js';

export interface WecomSettings {
  corpId: string;
  apiBaseUrl: string;
  defaultSender?: string;
}

export function wecomTokenSource(ctx: AdapterContext): TokenSource {
  const settings = ctx.settings as unknown as WecomSettings;
  return {
    workspaceId: ctx.workspaceId,
    provider: 'wecom',
    appId: settings.corpId,
    fetch: () => {
      const url = new URL('/cgi-bin/gettoken', settings.apiBaseUrl);
      url.searchParams.set('corpid', settings.corpId);
      url.searchParams.set('corpsecret', ctx.secrets.corpSecret ?? '');
      return fetchWxToken(url);
    },
  };
}

/**
 * WeCom customer contact: a message to an external contact goes out as a group-message task
 * (`externalcontact/add_msg_template`, chat_type single) that the sending member confirms; a welcome message
 * (`externalcontact/send_welcome_msg`) answers an add_external_contact callback within its 20 s WelcomeCode window.
 * For welcome messages the recipient's `to` is the WelcomeCode.
 */
export function wecomAdapter(ctx: AdapterContext): ChannelAdapter {
  const settings = ctx.settings as unknown as WecomSettings;
  const client = new WxApiClient(ctx.db, settings.apiBaseUrl, wecomTokenSource(ctx));
  return {
    channel: 'wecom',
    provider: 'wecom',
    async send(message, recipient): Promise<SendResult> {
      if (message.channel !== 'wecom') return failure('permanent', 'wrong_channel', `a WeCom channel cannot send a ${message.channel} message`);
      const content = {
        ...(message.text ? { text: { content: message.text } } : {}),
        ...(message.attachments?.length ? { attachments: message.attachments } : {}),
      };
      try {
        if (message.kind === 'welcome') {
          const answer = await client.call('/cgi-bin/externalcontact/send_welcome_msg', { welcome_code: recipient.to, ...content });
          if (!answer.errcode) return { ok: true, providerMessageId: `welcome:${recipient.to}` };
          return failure(classifyWxErrcode(answer.errcode), String(answer.errcode), answer.errmsg ?? '');
        }
        const sender = message.sender ?? settings.defaultSender;
        const answer = await client.call('/cgi-bin/externalcontact/add_msg_template', {
          chat_type: 'single',
          external_userid: [recipient.to],
          ...(sender ? { sender } : {}),
          ...content,
        });
        if (answer.errcode) return failure(classifyWxErrcode(answer.errcode), String(answer.errcode), answer.errmsg ?? '');
        const failed = answer.fail_list as string[] | undefined;
        if (failed?.includes(recipient.to)) return failure('invalid_recipient', 'fail_list', `${recipient.to} cannot be reached by ${sender ?? 'this member'}`);
        return { ok: true, providerMessageId: String(answer.msgid ?? '') };
      } catch (err) {
        return wxCallFailure(err);
      }
    },
    async testConnection() {
      try {
        const answer = await client.call('/cgi-bin/externalcontact/get_follow_user_list');
        if (answer.errcode) return failure(classifyWxErrcode(answer.errcode), String(answer.errcode), answer.errmsg ?? '');
        return { ok: true, detail: `WeCom issued an access token for ${settings.corpId}` };
      } catch (err) {
        return wxCallFailure(err);
      }
    },
  };
}
