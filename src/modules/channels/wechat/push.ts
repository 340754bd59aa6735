import { randomBytes } from 'node:crypto';
import type { Db } from '../../../platform/db/database.js';
import { AppError } from '../../../platform/errors.js';
import type { OpenChannelConfig } from '../configs.js';
import { firstSighting, forgetSighting } from '../inbound.js';
import { emitProfileEvents } from '../profile-events.js';
import { signatureMatches, wxDecrypt, wxEncrypt, wxSignature } from '../wx-crypto.js';
import { buildWxXml, parseWxXml } from '../xml.js';
import { wechatDedupKey, wechatPushToMessages } from './events.js';

/** The query WeChat adds to the push URL. */
export interface WechatPushQuery {
  signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
  openid?: string;
  encrypt_type?: string;
  msg_signature?: string;
}

const forbidden = (what: string) => new AppError('forbidden', `WeChat push: ${what}`);

function checkSignature(config: OpenChannelConfig, query: WechatPushQuery): void {
  const { timestamp = '', nonce = '' } = query;
  if (!signatureMatches(wxSignature(config.secrets.token ?? '', timestamp, nonce), query.signature)) throw forbidden('signature mismatch');
}

/** Server URL verification: a GET whose signature checks out is answered with its echostr. */
export function verifyWechatUrl(config: OpenChannelConfig, query: WechatPushQuery): string {
  checkSignature(config, query);
  return query.echostr ?? '';
}

/**
 * A pushed message or event: signature checked (and in safe mode msg_signature, decryption and the appid), recorded
 * once (MsgId or FromUserName + CreateTime), turned into a profile event. Answers "success", or an XML reply
 * (the configured welcome text to a new follower), encrypted in safe mode.
 */
export async function handleWechatPush(db: Db, workspaceId: string, config: OpenChannelConfig, query: WechatPushQuery, body: string): Promise<string> {
  checkSignature(config, query);
  const appId = String(config.settings.appId);
  const outer = parseWxXml(body);
  const safeMode = query.encrypt_type === 'aes';
  let fields = outer;
  if (safeMode) {
    const aesKey = config.secrets.encodingAesKey;
    if (!aesKey) throw forbidden('safe mode push but no EncodingAESKey is configured');
    const encrypted = outer.Encrypt ?? '';
    if (!signatureMatches(wxSignature(config.secrets.token ?? '', query.timestamp ?? '', query.nonce ?? '', encrypted), query.msg_signature)) {
      throw forbidden('msg_signature mismatch');
    }
    const { message, receiveId } = wxDecrypt(aesKey, encrypted);
    if (receiveId !== appId) throw forbidden(`message addressed to ${receiveId}, not ${appId}`);
    fields = parseWxXml(message);
  }

  const dedupKey = wechatDedupKey(fields);
  if (await firstSighting(db, workspaceId, config.id, dedupKey)) {
    try {
      await recordPush(db, workspaceId, appId, fields);
    } catch (err) {
      await forgetSighting(db, workspaceId, config.id, dedupKey);
      throw err;
    }
  }

  const replyText = config.settings.subscribeReply;
  if (fields.MsgType === 'event' && fields.Event === 'subscribe' && typeof replyText === 'string' && fields.FromUserName) {
    const reply = buildWxXml({
      ToUserName: fields.FromUserName,
      FromUserName: fields.ToUserName ?? '',
      CreateTime: Math.floor(Date.now() / 1000),
      MsgType: 'text',
      Content: replyText,
    });
    return safeMode ? encryptReply(config, appId, reply) : reply;
  }
  return 'success';
}

async function recordPush(db: Db, workspaceId: string, appId: string, fields: Record<string, string>): Promise<void> {
  let extra: Record<string, unknown> = {};
  if (fields.MsgType === 'event' && fields.Event === 'TEMPLATESENDJOBFINISH' && fields.MsgID) {
    const delivered = fields.Status === 'success';
    const delivery = await db
      .updateTable('channel_deliveries')
      .set(
        delivered
          ? { status: 'delivered', updated_at: new Date() }
          : { status: 'failed', error_kind: fields.Status === 'failed:user block' ? 'invalid_recipient' : 'permanent', error_code: fields.Status ?? null, updated_at: new Date() },
      )
      .where('workspace_id', '=', workspaceId)
      .where('channel', '=', 'wechat')
      .where('provider_message_id', '=', fields.MsgID)
      .returning(['id', 'context'])
      .executeTakeFirst();
    if (delivery) extra = { ...delivery.context, deliveryId: delivery.id };
  }
  await emitProfileEvents(db, workspaceId, wechatPushToMessages(appId, fields, extra));
}

function encryptReply(config: OpenChannelConfig, appId: string, reply: string): string {
  const encrypted = wxEncrypt(config.secrets.encodingAesKey ?? '', reply, appId);
  const timestamp = String(Math.floor(Date.now() / 1000));
  const nonce = randomBytes(8).toString('hex');
  return buildWxXml({
    Encrypt: encrypted,
    MsgSignature: wxSignature(config.secrets.token ?? '', timestamp, nonce, encrypted),
    TimeStamp: timestamp,
    Nonce: nonce,
  });
}
