import type { Db } from '../../platform/db/database.js';
import type { AdapterContext, ChannelAdapter } from './adapter.js';
import { openChannelConfig, type OpenChannelConfig } from './configs.js';
import { smtpAdapter } from './email/smtp.js';
import type { ProviderKind } from './schema.js';
import { aliyunSmsAdapter } from './sms/aliyun.js';
import { genericSmsAdapter } from './sms/generic.js';
import { tencentSmsAdapter } from './sms/tencent.js';
import { webhookAdapter } from './webhook/adapter.js';
import { wechatAdapter } from './wechat/adapter.js';
import { wecomAdapter } from './wecom/adapter.js';

const factories: Record<ProviderKind, (ctx: AdapterContext) => ChannelAdapter> = {
  smtp: smtpAdapter,
  sms_http: genericSmsAdapter,
  aliyun_sms: aliyunSmsAdapter,
  tencent_sms: tencentSmsAdapter,
  wechat_oa: wechatAdapter,
  wecom: wecomAdapter,
  webhook: webhookAdapter,
};

export function adapterFor(db: Db, workspaceId: string, config: OpenChannelConfig, publicUrl: string, deliveryId?: string): ChannelAdapter {
  return factories[config.provider]({
    db,
    workspaceId,
    configId: config.id,
    settings: config.settings,
    secrets: config.secrets,
    publicUrl,
    deliveryId,
  });
}

/** The adapter of a stored configuration. */
export async function loadAdapter(db: Db, workspaceId: string, configId: string, publicUrl: string, deliveryId?: string): Promise<ChannelAdapter> {
  return adapterFor(db, workspaceId, await openChannelConfig(db, workspaceId, configId), publicUrl, deliveryId);
}
