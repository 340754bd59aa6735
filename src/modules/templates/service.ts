import type { Db } from '../../platform/db/database.js';
import { invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { deliver, openChannelConfig, type DeliveryOutcome } from '../channels/index.js';
import { getProfile } from '../profiles/index.js';
import { getPointsAccount } from '../loyalty/index.js';
import { profileTags } from '../tags/index.js';
import { renderTemplate, validateTemplate, type Rendered } from './render.js';
import { TemplateData, type TemplateBody, type TemplateDataOverride, type TemplateInput, type TemplateView } from './schema.js';

type Row = { id: string; name: string; channel: string; parts: Record<string, unknown>; created_at: Date; updated_at: Date };
const view = (r: Row): TemplateView => ({
  id: r.id,
  name: r.name,
  channel: r.channel as TemplateView['channel'],
  parts: r.parts,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});
const bodyOf = (r: Row) => ({ channel: r.channel, parts: r.parts }) as TemplateBody;

export async function createTemplate(db: Db, workspaceId: string, input: TemplateInput): Promise<TemplateView> {
  validateTemplate(input);
  const row = await db
    .insertInto('message_templates')
    .values({ workspace_id: workspaceId, id: newId('tpl'), name: input.name, channel: input.channel, parts: JSON.stringify(input.parts) })
    .returningAll()
    .executeTakeFirstOrThrow();
  return view(row);
}

/** Replaces a template's name and parts; the channel cannot change (journeys refer to the template per channel). */
export async function updateTemplate(db: Db, workspaceId: string, id: string, input: TemplateInput): Promise<TemplateView> {
  const existing = await getRow(db, workspaceId, id);
  if (existing.channel !== input.channel) throw invalid(`template ${id} is a ${existing.channel} template`, [{ path: 'body.channel', message: `must stay ${existing.channel}` }]);
  validateTemplate(input);
  const row = await db
    .updateTable('message_templates')
    .set({ name: input.name, parts: JSON.stringify(input.parts), updated_at: new Date() })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return view(row);
}

async function getRow(db: Db, workspaceId: string, id: string): Promise<Row> {
  const row = await db.selectFrom('message_templates').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`template ${id}`);
  return row;
}

export const getTemplate = async (db: Db, workspaceId: string, id: string) => view(await getRow(db, workspaceId, id));

export async function listTemplates(db: Db, workspaceId: string, channel?: string): Promise<TemplateView[]> {
  let q = db.selectFrom('message_templates').selectAll().where('workspace_id', '=', workspaceId);
  if (channel) q = q.where('channel', '=', channel);
  return (await q.orderBy('created_at').orderBy('id').execute()).map(view);
}

export async function deleteTemplate(db: Db, workspaceId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('message_templates').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw notFound(`template ${id}`);
}

const addressTypes: Record<string, string> = { email: 'email', sms: 'phone', wechat: 'wechat_openid', wecom: 'wecom_external_userid' };

export interface ProfileForTemplate {
  data: TemplateData;
  /** The person's addresses by identifier type (email, phone, wechat_openid…). */
  addresses: Record<string, string>;
}

/** Loads a person's traits, tags, points and addresses (through the profiles, tags and loyalty modules) for a preview or a test send. */
export async function loadProfileForTemplate(db: Db, workspaceId: string, profileId: number): Promise<ProfileForTemplate> {
  const profile = await getProfile(db, workspaceId, profileId); // follows a merge to the surviving profile
  const [tags, account] = await Promise.all([profileTags(db, workspaceId, profile.id), getPointsAccount(db, workspaceId, profile.id)]);
  const points = {
    balance: account.balance,
    pending: account.pending,
    lifetimeEarned: account.lifetimeEarned,
    expiringSoon: account.expiringSoon.points,
    expiresAt: account.expiringSoon.firstExpiresAt?.toISOString().slice(0, 10) ?? null,
  };
  const addresses: Record<string, string> = {};
  // Newest identifier of each type first: the address most recently given.
  for (const i of [...profile.identifiers].sort((a, b) => b.id - a.id)) addresses[i.type] ??= i.value;
  const data = TemplateData.parse({ profile: { id: profile.id, traits: profile.traits }, tags: [...new Set(tags.map((t) => t.tagName))], points });
  return { data, addresses };
}

export interface PreviewInput {
  profileId?: number | undefined;
  data?: TemplateDataOverride | undefined;
}

async function dataFor(db: Db, workspaceId: string, input: PreviewInput): Promise<ProfileForTemplate> {
  const base = input.profileId !== undefined ? await loadProfileForTemplate(db, workspaceId, input.profileId) : { data: TemplateData.parse({}), addresses: {} };
  const given = input.data ?? {};
  const data: TemplateData = {
    profile: { ...base.data.profile, traits: { ...base.data.profile.traits, ...given.profile?.traits } },
    tags: given.tags ?? base.data.tags,
    event: given.event ? { name: given.event.name, properties: given.event.properties ?? {} } : base.data.event,
    coupon: given.coupon ?? base.data.coupon,
    points: given.points ?? base.data.points,
  };
  return { addresses: base.addresses, data };
}

export async function previewTemplate(db: Db, workspaceId: string, id: string, input: PreviewInput): Promise<Rendered> {
  const row = await getRow(db, workspaceId, id);
  const { data } = await dataFor(db, workspaceId, input);
  return renderTemplate(bodyOf(row), data, { unsubscribeUrl: '#unsubscribe' });
}

/** Renders a template as edited, before it is saved: checked like a save (errors name the part), then rendered. */
export async function previewDraft(db: Db, workspaceId: string, input: TemplateInput, preview: PreviewInput): Promise<Rendered> {
  validateTemplate(input);
  const { data } = await dataFor(db, workspaceId, preview);
  const { name: _name, ...body } = input;
  return renderTemplate(body as TemplateBody, data, { unsubscribeUrl: '#unsubscribe' });
}

/**
 * What a journey step needs: the template rendered for one person (traits, tags, points, plus the step's event,
 * coupon…), and the person's address on the template's channel, if they have one (else: fall back or skip).
 */
export async function renderForProfile(
  db: Db,
  workspaceId: string,
  templateId: string,
  profileId: number,
  data?: TemplateDataOverride,
): Promise<{ channel: TemplateView['channel']; rendered: Rendered; address: string | undefined }> {
  const row = await getRow(db, workspaceId, templateId);
  const loaded = await dataFor(db, workspaceId, { profileId, data });
  return { channel: row.channel as TemplateView['channel'], rendered: renderTemplate(bodyOf(row), loaded.data), address: loaded.addresses[addressTypes[row.channel] ?? ''] };
}

/** Renders for a real person and sends through a channel now (an operator's test send). */
export async function testSendTemplate(
  db: Db,
  workspaceId: string,
  publicUrl: string,
  id: string,
  input: PreviewInput & { channelId: string; to?: string | undefined },
): Promise<DeliveryOutcome & { rendered: Rendered }> {
  const row = await getRow(db, workspaceId, id);
  const config = await openChannelConfig(db, workspaceId, input.channelId);
  if (config.channel !== row.channel) throw invalid(`channel ${config.id} sends ${config.channel}, the template is ${row.channel}`, [{ path: 'body.channelId', message: `needs a ${row.channel} channel` }]);
  const { data, addresses } = await dataFor(db, workspaceId, input);
  const to = input.to ?? addresses[addressTypes[row.channel] ?? ''] ?? (row.channel === 'webhook' ? '-' : undefined);
  if (!to) throw invalid(`profile ${input.profileId ?? '?'} has no ${addressTypes[row.channel]} to send to`, [{ path: 'body.to', message: 'give an address' }]);
  const rendered = renderTemplate(bodyOf(row), data);
  const outcome = await deliver(db, workspaceId, publicUrl, {
    configId: config.id,
    message: rendered.message,
    recipient: { to, profileId: data.profile.id },
    idempotencyKey: newId('test'),
    transactional: true,
    context: { source: 'template_test', templateId: id },
  });
  return { ...outcome, rendered };
}
