import type { Db } from '../../../platform/db/database.js';
import { AppError } from '../../../platform/errors.js';
import type { OpenChannelConfig } from '../configs.js';
import { firstSighting, forgetSighting } from '../inbound.js';
import { emitProfileEvents, externalId, factMessageId, trackEvent, type ProfileEventMessage } from '../profile-events.js';
import { signatureMatches, wxDecrypt, wxSignature } from '../wx-crypto.js';
import { parseWxXml } from '../xml.js';
import { groupFactKey, wecomGroupToMessages } from './group-events.js';

export interface WecomCallbackQuery {
  msg_signature?: string;
  timestamp?: string;
  nonce?: string;
  echostr?: string;
}

const forbidden = (what: string) => new AppError('forbidden', `WeCom callback: ${what}`);

/** Checks msg_signature over (token, timestamp, nonce, encrypted), decrypts, and checks the corp id it was sent to. */
function open(config: OpenChannelConfig, query: WecomCallbackQuery, encrypted: string): string {
  const token = config.secrets.token ?? '';
  if (!signatureMatches(wxSignature(token, query.timestamp ?? '', query.nonce ?? '', encrypted), query.msg_signature)) {
    throw forbidden('msg_signature mismatch');
  }
  let opened: { message: string; receiveId: string };
  try {
    opened = wxDecrypt(config.secrets.encodingAesKey ?? '', encrypted);
  } catch {
    throw forbidden('cannot decrypt with the configured EncodingAESKey');
  }
  const corpId = String(config.settings.corpId);
  if (opened.receiveId !== corpId) throw forbidden(`message addressed to ${opened.receiveId}, not ${corpId}`);
  return opened.message;
}

/** URL verification: the decrypted echostr, in plain text. */
export function verifyWecomUrl(config: OpenChannelConfig, query: WecomCallbackQuery): string {
  return open(config, query, query.echostr ?? '');
}

const changeEvents: Record<string, string> = {
  add_external_contact: 'WeCom Contact Added',
  add_half_external_contact: 'WeCom Contact Added',
  edit_external_contact: 'WeCom Contact Edited',
  del_external_contact: 'WeCom Contact Deleted',
  del_follow_user: 'WeCom Contact Removed Member',
  transfer_fail: 'WeCom Contact Transfer Failed',
};

export function wecomDedupKey(fields: Record<string, string>): string {
  const key = `${fields.Event ?? ''}:${fields.ChangeType ?? ''}:${fields.ExternalUserID ?? ''}:${fields.UserID ?? ''}:${fields.CreateTime ?? ''}`;
  // Two changes of one group, or of two groups, in the same second are two facts.
  return fields.Event === 'change_external_chat' ? `${key}:${groupFactKey(fields)}` : key;
}

/**
 * change_external_contact → a profile event on the external contact: which member (UserID) it concerns, the `State`
 * of the contact-me QR code that brought them (the channel code: store, guide, campaign) and the WelcomeCode a
 * welcome message must answer within 20 s; change_external_chat → group joins and leaves (group-events.ts). Pure.
 */
export function wecomCallbackToMessages(corpId: string, fields: Record<string, string>): ProfileEventMessage[] {
  if (fields.Event === 'change_external_chat') return wecomGroupToMessages(corpId, fields);
  if (fields.Event !== 'change_external_contact' || !fields.ExternalUserID) return [];
  const event = changeEvents[fields.ChangeType ?? ''];
  if (!event) return [];
  const at = new Date(Number(fields.CreateTime ?? 0) * 1000 || Date.now());
  const properties: Record<string, unknown> = { corpId, changeType: fields.ChangeType, memberUserId: fields.UserID };
  if (fields.State) properties.state = fields.State;
  if (fields.WelcomeCode) properties.welcomeCode = fields.WelcomeCode;
  if (fields.Source) properties.source = fields.Source;
  if (fields.FailReason) properties.failReason = fields.FailReason;
  return [trackEvent(event, [externalId('wecom_external_userid', fields.ExternalUserID)], properties, at, factMessageId('wecom', corpId, wecomDedupKey(fields)), 'wecom')];
}

export type WecomCallbackListener = (db: Db, workspaceId: string, configId: string, fields: Record<string, string>) => Promise<void>;
const listeners: WecomCallbackListener[] = [];

/** Lets the journey engine answer an add_external_contact with a welcome message while its WelcomeCode is valid. */
export function onWecomCallback(listener: WecomCallbackListener): void {
  listeners.push(listener);
}

export async function handleWecomCallback(db: Db, workspaceId: string, config: OpenChannelConfig, query: WecomCallbackQuery, body: string): Promise<string> {
  const outer = parseWxXml(body);
  const fields = parseWxXml(open(config, query, outer.Encrypt ?? ''));
  const corpId = String(config.settings.corpId);
  const dedupKey = wecomDedupKey(fields);
  if (await firstSighting(db, workspaceId, config.id, dedupKey)) {
    try {
      await emitProfileEvents(db, workspaceId, wecomCallbackToMessages(corpId, fields));
      for (const listener of listeners) await listener(db, workspaceId, config.id, fields);
    } catch (err) {
      await forgetSighting(db, workspaceId, config.id, dedupKey);
      throw err;
    }
  }
  return 'success';
}
