import { externalId, factMessageId, trackEvent, type ProfileEventMessage } from '../profile-events.js';

/** How a customer joined or left a group (`JoinScene`, `QuitScene` of change_external_chat), as published. */
const JOIN_SCENES: Record<string, string> = { '0': 'invited', '1': 'invite_link', '3': 'group_qr_code' };
const QUIT_SCENES: Record<string, string> = { '0': 'left', '1': 'removed' };

/**
 * WeCom's external user ids (wm… / wo…), as distinct from the corp's own members' user ids, which a group's member
 * list mixes with them. Only customers become profile events.
 */
const EXTERNAL_USER_ID = /^w[mo][A-Za-z0-9_-]{16,}$/;

/** The part of a change_external_chat callback that tells one fact from another (for de-duplication). */
export const groupFactKey = (fields: Record<string, string>) =>
  `${fields.ChatId ?? ''}:${fields.UpdateDetail ?? ''}:${fields.CurMemVer ?? ''}:${fields.MemChangeList ?? ''}`;

/**
 * change_external_chat (客户群变更) → one profile event per customer who joined or left a customer group
 * (`UpdateDetail` add_member / del_member, the ids in `MemChangeList`): "WeCom Group Joined" with how they joined
 * (invited, an invite link, the group's QR code) or "WeCom Group Left" (left, or removed). Group creation,
 * renames, owner changes and dismissal concern no one person and make no profile event. Pure.
 */
export function wecomGroupToMessages(corpId: string, fields: Record<string, string>): ProfileEventMessage[] {
  if (fields.Event !== 'change_external_chat' || fields.ChangeType !== 'update' || !fields.ChatId) return [];
  const joined = fields.UpdateDetail === 'add_member';
  if (!joined && fields.UpdateDetail !== 'del_member') return [];
  const at = new Date(Number(fields.CreateTime ?? 0) * 1000 || Date.now());
  const customers = (fields.MemChangeList ?? '').split(',').filter((id) => EXTERNAL_USER_ID.test(id));
  const properties: Record<string, unknown> = { corpId, chatId: fields.ChatId };
  if (joined) properties.joinScene = JOIN_SCENES[fields.JoinScene ?? ''] ?? fields.JoinScene;
  else properties.quitScene = QUIT_SCENES[fields.QuitScene ?? ''] ?? fields.QuitScene;
  if (fields.CurMemVer) properties.memberVersion = fields.CurMemVer;
  const event = joined ? 'WeCom Group Joined' : 'WeCom Group Left';
  return customers.map((id) =>
    trackEvent(event, [externalId('wecom_external_userid', id)], { ...properties }, at, factMessageId('wecom', corpId, `group:${groupFactKey(fields)}:${id}:${fields.CreateTime ?? ''}`), 'wecom'),
  );
}
