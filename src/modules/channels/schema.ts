import { z } from 'zod';

/** The channels a journey can speak through, and the provider adapters that implement each. */
export const ChannelKind = z.enum(['email', 'sms', 'wechat', 'wecom', 'webhook']);
export type ChannelKind = z.infer<typeof ChannelKind>;

export const ProviderKind = z.enum(['smtp', 'sms_http', 'aliyun_sms', 'tencent_sms', 'wechat_oa', 'wecom', 'webhook']);
export type ProviderKind = z.infer<typeof ProviderKind>;

export const channelOfProvider: Record<ProviderKind, ChannelKind> = {
  smtp: 'email',
  sms_http: 'sms',
  aliyun_sms: 'sms',
  tencent_sms: 'sms',
  wechat_oa: 'wechat',
  wecom: 'wecom',
  webhook: 'webhook',
};

const url = z.url({ protocol: /^https?$/ });
const secret = z.string().min(1);

/** Per provider: `settings` are shown back to operators, `secrets` are sealed at rest and never shown again. */
export const providerSchemas = {
  smtp: {
    settings: z.object({
      host: z.string().min(1),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false).describe('TLS from the first byte (port 465); otherwise STARTTLS when offered'),
      from: z.string().min(3).describe('From header, e.g. `Brand <news@brand.cn>`'),
      replyTo: z.string().optional(),
      unsubscribeMailto: z.string().optional().describe('mailto: address added to List-Unsubscribe beside the one-click URL'),
    }),
    secrets: z.object({ user: z.string().optional(), password: z.string().optional() }),
  },
  sms_http: {
    settings: z.object({
      url,
      signName: z.string().optional().describe('prepended as 【signName】 when counting and sending'),
      messageIdField: z.string().default('id').describe('field of the JSON answer holding the provider message id'),
    }),
    secrets: z.object({ bearerToken: z.string().optional() }),
  },
  aliyun_sms: {
    settings: z.object({
      endpoint: url.default('https://dysmsapi.aliyuncs.com/'),
      regionId: z.string().default('cn-hangzhou'),
      signName: z.string().min(1),
    }),
    secrets: z.object({ accessKeyId: secret, accessKeySecret: secret }),
  },
  tencent_sms: {
    settings: z.object({
      endpoint: url.default('https://sms.tencentcloudapi.com/'),
      region: z.string().default('ap-guangzhou'),
      smsSdkAppId: z.string().min(1),
      signName: z.string().min(1),
    }),
    secrets: z.object({ secretId: secret, secretKey: secret }),
  },
  wechat_oa: {
    settings: z.object({
      appId: z.string().min(1),
      apiBaseUrl: url.default('https://api.weixin.qq.com'),
      subscribeReply: z.string().max(600).optional().describe('text answered to a new follower in the push reply'),
    }),
    secrets: z.object({
      appSecret: secret,
      token: secret.describe('the server-push Token configured in the Official Account console'),
      encodingAesKey: z.string().length(43).optional().describe('EncodingAESKey, for safe (AES) mode'),
    }),
  },
  wecom: {
    settings: z.object({
      corpId: z.string().min(1),
      apiBaseUrl: url.default('https://qyapi.weixin.qq.com'),
      defaultSender: z.string().optional().describe('WeCom userid that sends group messages when the message names none'),
    }),
    secrets: z.object({ corpSecret: secret, token: secret, encodingAesKey: z.string().length(43) }),
  },
  webhook: {
    settings: z.object({
      url,
      timeoutMs: z.number().int().min(100).max(60_000).default(5_000),
      maxAttempts: z.number().int().min(1).max(10).default(3),
      backoffMs: z.number().int().min(0).max(60_000).default(500).describe('first retry delay; doubles each attempt'),
    }),
    secrets: z.object({ signingSecret: secret }),
  },
} as const;

const configVariant = <P extends ProviderKind>(provider: P) =>
  z.object({
    provider: z.literal(provider),
    name: z.string().trim().min(1).max(100),
    enabled: z.boolean().default(true),
    settings: providerSchemas[provider].settings,
    secrets: providerSchemas[provider].secrets,
  });

export const ChannelConfigInput = z.discriminatedUnion('provider', [
  configVariant('smtp'),
  configVariant('sms_http'),
  configVariant('aliyun_sms'),
  configVariant('tencent_sms'),
  configVariant('wechat_oa'),
  configVariant('wecom'),
  configVariant('webhook'),
]);
export type ChannelConfigInput = z.infer<typeof ChannelConfigInput>;

/** An update: settings replace the old ones; secrets given are replaced, secrets left out are kept. */
export const ChannelConfigUpdate = z.object({
  name: z.string().trim().min(1).max(100).optional(),
  enabled: z.boolean().optional(),
  settings: z.record(z.string(), z.unknown()).optional(),
  secrets: z.record(z.string(), z.string()).optional(),
});
export type ChannelConfigUpdate = z.infer<typeof ChannelConfigUpdate>;

export const ChannelConfigView = z.object({
  id: z.string(),
  channel: ChannelKind,
  provider: ProviderKind,
  name: z.string(),
  enabled: z.boolean(),
  settings: z.record(z.string(), z.unknown()),
  secretsSet: z.array(z.string()).describe('names of the secrets stored (values are never returned)'),
  callbackUrl: z.string().optional().describe('where to point the provider\'s push/callback (WeChat, WeCom)'),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type ChannelConfigView = z.infer<typeof ChannelConfigView>;

export const EmailMessage = z.object({
  channel: z.literal('email'),
  subject: z.string().min(1),
  html: z.string().min(1),
  text: z.string().optional(),
  tracking: z.boolean().default(true).describe('open pixel and click redirects'),
  transactional: z.boolean().default(false).describe('transactional mail carries no List-Unsubscribe'),
});
export const SmsMessage = z.object({
  channel: z.literal('sms'),
  text: z.string().optional().describe('the full text (generic HTTP providers)'),
  templateCode: z.string().optional().describe('provider template (Aliyun TemplateCode, Tencent TemplateId)'),
  params: z.union([z.record(z.string(), z.string()), z.array(z.string())]).optional(),
});
export const WechatTemplateMessage = z.object({
  channel: z.literal('wechat'),
  templateId: z.string().min(1),
  data: z.record(z.string(), z.object({ value: z.string(), color: z.string().optional() })),
  url: z.string().optional(),
  miniprogram: z.object({ appid: z.string(), pagepath: z.string().optional() }).optional(),
});
export const WecomMessage = z.object({
  channel: z.literal('wecom'),
  kind: z.enum(['external_contact', 'welcome']).default('external_contact'),
  text: z.string().optional(),
  sender: z.string().optional().describe('WeCom userid of the sending member (external_contact)'),
  attachments: z.array(z.record(z.string(), z.unknown())).max(9).optional(),
});
export const WebhookMessage = z.object({
  channel: z.literal('webhook'),
  payload: z.record(z.string(), z.unknown()),
});

export const ChannelMessage = z.discriminatedUnion('channel', [EmailMessage, SmsMessage, WechatTemplateMessage, WecomMessage, WebhookMessage]);
export type ChannelMessage = z.infer<typeof ChannelMessage>;
export type EmailMessage = z.infer<typeof EmailMessage>;
export type SmsMessage = z.infer<typeof SmsMessage>;
export type WechatTemplateMessage = z.infer<typeof WechatTemplateMessage>;
export type WecomMessage = z.infer<typeof WecomMessage>;
export type WebhookMessage = z.infer<typeof WebhookMessage>;
