import { z } from 'zod';

/** A template's parts per channel. Every string part is a LiquidJS template. */
export const EmailParts = z.object({ subject: z.string().min(1), html: z.string().min(1), text: z.string().optional() });
export const SmsParts = z.object({
  text: z.string().min(1).describe('full text, for generic gateways and for counting length'),
  signName: z.string().optional().describe('【signature】 the operator prepends; counted in the length'),
  rule: z.enum(['gsm', 'china']).default('china').describe('how the length is counted: GSM 03.38, or mainland operators (70/67)'),
  templateCode: z.string().optional().describe('provider template (Aliyun TemplateCode / Tencent TemplateId)'),
  params: z.record(z.string(), z.string()).optional().describe('provider template parameters, each a Liquid template'),
});
export const WechatParts = z.object({
  templateId: z.string().min(1),
  fields: z.record(z.string(), z.object({ value: z.string(), color: z.string().optional() })).describe('the template keywords: first, keyword1…, remark'),
  url: z.string().optional(),
  miniprogram: z.object({ appid: z.string(), pagepath: z.string().optional() }).optional(),
});
export const WecomParts = z.object({ text: z.string().min(1), attachments: z.array(z.record(z.string(), z.unknown())).max(9).optional() });
export const WebhookParts = z.object({ body: z.string().min(2).describe('a JSON document, after rendering') });

export const TemplateInput = z.discriminatedUnion('channel', [
  z.object({ name: z.string().trim().min(1).max(200), channel: z.literal('email'), parts: EmailParts }),
  z.object({ name: z.string().trim().min(1).max(200), channel: z.literal('sms'), parts: SmsParts }),
  z.object({ name: z.string().trim().min(1).max(200), channel: z.literal('wechat'), parts: WechatParts }),
  z.object({ name: z.string().trim().min(1).max(200), channel: z.literal('wecom'), parts: WecomParts }),
  z.object({ name: z.string().trim().min(1).max(200), channel: z.literal('webhook'), parts: WebhookParts }),
]);
export type TemplateInput = z.infer<typeof TemplateInput>;

export const TemplateView = z.object({
  id: z.string(),
  name: z.string(),
  channel: z.enum(['email', 'sms', 'wechat', 'wecom', 'webhook']),
  parts: z.record(z.string(), z.unknown()),
  createdAt: z.date(),
  updatedAt: z.date(),
});
export type TemplateView = z.infer<typeof TemplateView>;

/** What a template may refer to (千人千面): the root names of the render context. */
export const TemplateData = z.object({
  profile: z.object({ id: z.number().optional(), traits: z.record(z.string(), z.unknown()).default({}) }).default({ traits: {} }),
  tags: z.array(z.string()).default([]),
  event: z.object({ name: z.string().optional(), properties: z.record(z.string(), z.unknown()).default({}) }).default({ properties: {} }),
  coupon: z.record(z.string(), z.unknown()).default({}),
  points: z.record(z.string(), z.unknown()).default({}),
});
export type TemplateData = z.infer<typeof TemplateData>;
export const TEMPLATE_ROOTS = ['profile', 'traits', 'tags', 'event', 'coupon', 'points', 'workspace', 'message'] as const;
/** A template without its name: the channel and its parts (distributive, so the union stays discriminated). */
export type TemplateBody = TemplateInput extends infer T ? (T extends { name: string } ? Omit<T, 'name'> : never) : never;

/** Data given with a preview or test send: only what is given overrides the profile's own (no defaults). */
export const TemplateDataOverride = z.object({
  profile: z.object({ traits: z.record(z.string(), z.unknown()).optional() }).optional(),
  tags: z.array(z.string()).optional(),
  event: z.object({ name: z.string().optional(), properties: z.record(z.string(), z.unknown()).optional() }).optional(),
  coupon: z.record(z.string(), z.unknown()).optional(),
  points: z.record(z.string(), z.unknown()).optional(),
});
export type TemplateDataOverride = z.infer<typeof TemplateDataOverride>;
