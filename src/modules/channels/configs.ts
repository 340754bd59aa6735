import type { Db } from '../../platform/db/database.js';
import { invalid, notFound } from '../../platform/errors.js';
import { newId } from '../../platform/ids.js';
import { zodIssuesToDetails } from '../../platform/http/validation.js';
import { seal, unseal } from './secret-box.js';
import {
  channelOfProvider,
  providerSchemas,
  type ChannelConfigInput,
  type ChannelConfigUpdate,
  type ChannelConfigView,
  type ChannelKind,
  type ProviderKind,
} from './schema.js';

/** A configuration with its secrets opened: only adapters see this, never an HTTP answer. */
export interface OpenChannelConfig {
  id: string;
  channel: ChannelKind;
  provider: ProviderKind;
  name: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  secrets: Record<string, string>;
}

type Row = {
  workspace_id: string;
  id: string;
  channel: string;
  provider: string;
  name: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  sealed_secrets: string;
  created_at: Date;
  updated_at: Date;
};

/** Where the provider must push: one URL per workspace and channel configuration. */
export function callbackUrl(publicUrl: string, kind: 'wechat' | 'wecom', workspaceId: string, configId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/callbacks/${kind}/${workspaceId}/${configId}`;
}

function view(row: Row, publicUrl?: string): ChannelConfigView {
  const provider = row.provider as ProviderKind;
  const callbackPath = provider === 'wechat_oa' ? 'wechat' : provider === 'wecom' ? 'wecom' : undefined;
  return {
    id: row.id,
    channel: row.channel as ChannelKind,
    provider,
    name: row.name,
    enabled: row.enabled,
    settings: row.settings,
    secretsSet: Object.keys(JSON.parse(unseal(row.sealed_secrets)) as object).sort(),
    ...(callbackPath && publicUrl ? { callbackUrl: callbackUrl(publicUrl, callbackPath, row.workspace_id, row.id) } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function validatePart(provider: ProviderKind, part: 'settings' | 'secrets', value: unknown): Record<string, unknown> {
  const result = providerSchemas[provider][part].safeParse(value);
  if (!result.success) {
    const details = zodIssuesToDetails(result.error, `body.${part}`);
    throw invalid(`invalid ${part} for ${provider}: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  return result.data as Record<string, unknown>;
}

export async function createChannelConfig(db: Db, workspaceId: string, input: ChannelConfigInput, publicUrl?: string): Promise<ChannelConfigView> {
  const row = await db
    .insertInto('channel_configs')
    .values({
      workspace_id: workspaceId,
      id: newId('ch'),
      channel: channelOfProvider[input.provider],
      provider: input.provider,
      name: input.name,
      enabled: input.enabled,
      settings: JSON.stringify(input.settings),
      sealed_secrets: seal(JSON.stringify(input.secrets)),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return view(row, publicUrl);
}

async function getRow(db: Db, workspaceId: string, id: string): Promise<Row> {
  const row = await db.selectFrom('channel_configs').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound(`channel ${id}`);
  return row;
}

export async function getChannelConfig(db: Db, workspaceId: string, id: string, publicUrl?: string): Promise<ChannelConfigView> {
  return view(await getRow(db, workspaceId, id), publicUrl);
}

export async function listChannelConfigs(db: Db, workspaceId: string, channel?: ChannelKind, publicUrl?: string): Promise<ChannelConfigView[]> {
  let query = db.selectFrom('channel_configs').selectAll().where('workspace_id', '=', workspaceId);
  if (channel) query = query.where('channel', '=', channel);
  const rows = await query.orderBy('created_at').orderBy('id').execute();
  return rows.map((r) => view(r, publicUrl));
}

export async function updateChannelConfig(db: Db, workspaceId: string, id: string, update: ChannelConfigUpdate, publicUrl?: string): Promise<ChannelConfigView> {
  const row = await getRow(db, workspaceId, id);
  const provider = row.provider as ProviderKind;
  const settings = update.settings ? validatePart(provider, 'settings', update.settings) : row.settings;
  const secrets = update.secrets
    ? validatePart(provider, 'secrets', { ...(JSON.parse(unseal(row.sealed_secrets)) as object), ...update.secrets })
    : undefined;
  const updated = await db
    .updateTable('channel_configs')
    .set({
      ...(update.name !== undefined ? { name: update.name } : {}),
      ...(update.enabled !== undefined ? { enabled: update.enabled } : {}),
      settings: JSON.stringify(settings),
      ...(secrets ? { sealed_secrets: seal(JSON.stringify(secrets)) } : {}),
      updated_at: new Date(),
    })
    .where('workspace_id', '=', workspaceId)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return view(updated, publicUrl);
}

export async function deleteChannelConfig(db: Db, workspaceId: string, id: string): Promise<void> {
  const result = await db.deleteFrom('channel_configs').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst();
  if (result.numDeletedRows === 0n) throw notFound(`channel ${id}`);
}

/** Opens a configuration for an adapter: secrets decrypted, settings with their defaults applied. */
export async function openChannelConfig(db: Db, workspaceId: string, id: string): Promise<OpenChannelConfig> {
  return openRow(await getRow(db, workspaceId, id));
}

/** Opens many configurations in one statement (a send batch); ids not found are absent from the map. */
export async function openChannelConfigs(db: Db, workspaceId: string, ids: string[]): Promise<Map<string, OpenChannelConfig>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const rows = await db.selectFrom('channel_configs').selectAll().where('workspace_id', '=', workspaceId).where('id', 'in', wanted).execute();
  return new Map(rows.map((r) => [r.id, openRow(r)]));
}

function openRow(row: Row): OpenChannelConfig {
  const provider = row.provider as ProviderKind;
  return {
    id: row.id,
    channel: row.channel as ChannelKind,
    provider,
    name: row.name,
    enabled: row.enabled,
    settings: providerSchemas[provider].settings.parse(row.settings) as Record<string, unknown>,
    secrets: JSON.parse(unseal(row.sealed_secrets)) as Record<string, string>,
  };
}
