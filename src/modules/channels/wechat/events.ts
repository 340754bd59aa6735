import { externalId, factMessageId, trackEvent, type ProfileEventMessage } from '../profile-events.js';

/** WeChat pushes de-duplicate by MsgId (messages) or FromUserName + CreateTime (events), as WeChat recommends. */
export function wechatDedupKey(fields: Record<string, string>): string {
  return fields.MsgId ? `msg:${fields.MsgId}` : `evt:${fields.FromUserName ?? ''}:${fields.CreateTime ?? ''}`;
}

/** `qrscene_123` (subscribe through a parametric QR code) → `123`; SCAN carries the bare scene value. */
export function sceneOf(eventKey: string | undefined): string | undefined {
  if (!eventKey) return undefined;
  return eventKey.startsWith('qrscene_') ? eventKey.slice('qrscene_'.length) : eventKey;
}

/**
 * One pushed WeChat document → the profile event it means, identified by the follower's openid. Pure: the push
 * handler adds delivery context for TEMPLATESENDJOBFINISH.
 */
export function wechatPushToMessages(appId: string, fields: Record<string, string>, extra: Record<string, unknown> = {}): ProfileEventMessage[] {
  const openid = fields.FromUserName;
  if (!openid) return [];
  const at = new Date(Number(fields.CreateTime ?? 0) * 1000 || Date.now());
  const messageId = factMessageId('wechat', appId, wechatDedupKey(fields));
  const ids = [externalId('wechat_openid', openid)];
  const base = { appId, officialAccount: fields.ToUserName };
  const track = (event: string, properties: Record<string, unknown>) => [trackEvent(event, ids, { ...base, ...properties, ...extra }, at, messageId, 'wechat')];

  if (fields.MsgType !== 'event') {
    return track('WeChat Message Received', { msgType: fields.MsgType, msgId: fields.MsgId, content: fields.Content });
  }
  switch (fields.Event) {
    case 'subscribe': {
      const scene = fields.EventKey?.startsWith('qrscene_') ? sceneOf(fields.EventKey) : undefined;
      return track('WeChat Subscribed', { ...(scene ? { scene, ticket: fields.Ticket } : {}) });
    }
    case 'unsubscribe':
      return track('WeChat Unsubscribed', {});
    case 'SCAN':
      return track('WeChat QR Scanned', { scene: sceneOf(fields.EventKey), ticket: fields.Ticket });
    case 'CLICK':
      return track('WeChat Menu Clicked', { key: fields.EventKey });
    case 'VIEW':
      return track('WeChat Menu Link Opened', { url: fields.EventKey, menuId: fields.MenuId });
    case 'TEMPLATESENDJOBFINISH': {
      const delivered = fields.Status === 'success';
      return track(delivered ? 'Message Delivered' : 'Message Failed', {
        wechatMsgId: fields.MsgID,
        status: fields.Status,
        ...(delivered ? {} : { errorKind: fields.Status === 'failed:user block' ? 'invalid_recipient' : 'permanent', errorCode: fields.Status }),
      });
    }
    default:
      return track('WeChat Event', { event: fields.Event, eventKey: fields.EventKey });
  }
}
