import { ApiOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Drawer, Form, Input, InputNumber, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, useApi } from '../../api';
import { errorText, Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { useSession } from '../../session';
import type { JsonSchema } from '../journeys/model';
import { useFeedback } from '../../feedback';

export interface ChannelConfig {
  id: string;
  channel: string;
  provider: string;
  name: string;
  enabled: boolean;
  settings: Record<string, unknown>;
  secretsSet: string[];
  callbackUrl?: string;
  updatedAt: string;
}
interface Provider {
  provider: string;
  channel: string;
  settings: JsonSchema;
  secrets: JsonSchema;
}

/** Channel configurations: one form per provider from its schema; secrets are write-only; "test connection". */
export function ChannelsTab() {
  const { t } = useTranslation();
  const format = useFormat();
  const { canWrite } = useSession();
  const channels = useApi<{ data: ChannelConfig[] }>('/api/v1/channels');
  const providers = useApi<{ data: Provider[] }>('/api/v1/channels/providers');
  const [editing, setEditing] = useState<ChannelConfig | 'new'>();
  return (
    <>
      {canWrite && (
        <Space style={{ marginBottom: 12 }}>
          <Button type="primary" icon={<PlusOutlined />} onClick={() => setEditing('new')}>{t('messaging.newChannel')}</Button>
        </Space>
      )}
      <Loaded state={channels} feature={t('messaging.channels')}>
        {(body) => (
          <Table<ChannelConfig> data-testid="channels-table" rowKey="id" dataSource={body.data} pagination={false} loading={channels.loading}
            columns={[
              { key: 'name', title: t('common.name'), render: (_, c) => <Button type="link" style={{ padding: 0 }} onClick={() => setEditing(c)}>{c.name}</Button> },
              { key: 'channel', title: t('messaging.channel'), render: (_, c) => t(`messaging.channelKinds.${c.channel}`) },
              { key: 'provider', title: t('messaging.provider'), render: (_, c) => t(`messaging.providers.${c.provider}`) },
              { key: 'enabled', title: t('messaging.enabled'), render: (_, c) => <Tag color={c.enabled ? 'green' : 'default'}>{c.enabled ? t('common.yes') : t('common.no')}</Tag> },
              { key: 'updatedAt', title: t('messaging.updatedAt'), render: (_, c) => format.dateTime(c.updatedAt) },
            ]} />
        )}
      </Loaded>
      {editing && providers.data && (
        <ChannelDrawer config={editing === 'new' ? undefined : editing} providers={providers.data.data} readOnly={!canWrite}
          onClose={() => setEditing(undefined)} onSaved={(c) => { channels.reload(); setEditing(c); }} />
      )}
    </>
  );
}

function ChannelDrawer({ config, providers, readOnly, onClose, onSaved }: {
  config?: ChannelConfig;
  providers: Provider[];
  readOnly: boolean;
  onClose: () => void;
  onSaved: (c: ChannelConfig) => void;
}) {
  const { t, i18n } = useTranslation();
  const { message } = useFeedback();
  const [provider, setProvider] = useState(config?.provider ?? 'smtp');
  const [name, setName] = useState(config?.name ?? '');
  const [enabled, setEnabled] = useState(config?.enabled ?? true);
  const [settings, setSettings] = useState<Record<string, unknown>>(config?.settings ?? {});
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError>();
  const [test, setTest] = useState<{ ok: boolean; detail?: string; error?: { message: string } }>();
  const [busy, setBusy] = useState<string>();
  const schema = providers.find((p) => p.provider === provider);
  const label = (k: string) => (i18n.exists(`messaging.settingNames.${k}`) ? t(`messaging.settingNames.${k}`) : k);
  const fieldError = (where: string, k: string) => error?.details.filter((d) => d.path === `body.${where}.${k}` || d.path === `${where}.${k}`).map((d) => d.message).join('; ');

  const save = async () => {
    setBusy('save');
    setError(undefined);
    const given = Object.fromEntries(Object.entries(secrets).filter(([, v]) => v !== ''));
    try {
      const saved = config
        ? await api<ChannelConfig>(`/api/v1/channels/${config.id}`, { method: 'PATCH', body: { name: name.trim(), enabled, settings, secrets: given } })
        : await api<ChannelConfig>('/api/v1/channels', { method: 'POST', body: { provider, name: name.trim(), enabled, settings, secrets: given } });
      setSecrets({});
      void message.success(t('messaging.savedOk'));
      onSaved(saved);
    } catch (err) {
      if (err instanceof ApiError) setError(err);
      else throw err;
    } finally {
      setBusy(undefined);
    }
  };
  const testConnection = async () => {
    setBusy('test');
    setTest(undefined);
    try {
      setTest(await api(`/api/v1/channels/${config!.id}/test`, { method: 'POST' }));
    } catch (err) {
      if (err instanceof ApiError) setTest({ ok: false, error: { message: errorText(t, err) } });
      else throw err;
    } finally {
      setBusy(undefined);
    }
  };

  const settingInput = (k: string, s: JsonSchema) => {
    const id = `ch-${k}`;
    const v = settings[k];
    const set = (value: unknown) => setSettings((old) => {
      const next = { ...old };
      if (value === undefined || value === '' || value === null) delete next[k];
      else next[k] = value;
      return next;
    });
    if (s.type === 'boolean') return <Switch id={id} checked={Boolean(v ?? s.default)} disabled={readOnly} onChange={set} />;
    if (s.type === 'integer' || s.type === 'number') return <InputNumber id={id} value={v as number | undefined} placeholder={s.default !== undefined ? String(s.default) : undefined} min={s.minimum} max={s.maximum} disabled={readOnly} onChange={set} style={{ width: '100%' }} />;
    return <Input id={id} value={(v as string) ?? ''} placeholder={s.default !== undefined ? String(s.default) : undefined} disabled={readOnly} onChange={(e) => set(e.target.value)} />;
  };

  return (
    <Drawer open width={520} onClose={onClose} title={config ? config.name : t('messaging.newChannel')} data-testid="channel-drawer"
      extra={!readOnly && (
        <Space>
          {config && <Button icon={<ApiOutlined />} loading={busy === 'test'} onClick={() => void testConnection()} data-testid="test-connection">{t('messaging.testConnection')}</Button>}
          <Button type="primary" loading={busy === 'save'} disabled={!name.trim()} onClick={() => void save()} data-testid="save-channel">{t('common.save')}</Button>
        </Space>
      )}>
      {test && (test.ok
        ? <Alert type="success" showIcon message={t('messaging.connectionOk')} description={test.detail} style={{ marginBottom: 12 }} data-testid="connection-result" />
        : <Alert type="error" showIcon message={t('messaging.connectionFailed')} description={test.error?.message} style={{ marginBottom: 12 }} data-testid="connection-result" />)}
      {error && <Alert type="error" showIcon message={errorText(t, error)} style={{ marginBottom: 12 }} />}
      <Form layout="vertical">
        <Form.Item label={t('messaging.provider')} htmlFor="ch-provider">
          <Select id="ch-provider" value={provider} disabled={Boolean(config) || readOnly} onChange={(p) => { setProvider(p); setSettings({}); setSecrets({}); }}
            options={providers.map((p) => ({ value: p.provider, label: `${t(`messaging.providers.${p.provider}`)} · ${t(`messaging.channelKinds.${p.channel}`)}` }))} />
        </Form.Item>
        <Form.Item label={t('common.name')} htmlFor="ch-name" required><Input id="ch-name" value={name} disabled={readOnly} onChange={(e) => setName(e.target.value)} /></Form.Item>
        <Form.Item label={t('messaging.enabled')} htmlFor="ch-enabled"><Switch id="ch-enabled" checked={enabled} disabled={readOnly} onChange={setEnabled} /></Form.Item>
        {config?.callbackUrl && (
          <Form.Item label={t('messaging.callbackUrl')}><Typography.Text copyable code>{config.callbackUrl}</Typography.Text></Form.Item>
        )}
        <Typography.Title level={5}>{t('messaging.settings')}</Typography.Title>
        {Object.entries(schema?.settings.properties ?? {}).map(([k, s]) => (
          <Form.Item key={k} label={label(k)} htmlFor={`ch-${k}`} required={(schema?.settings.required ?? []).includes(k)} validateStatus={fieldError('settings', k) ? 'error' : undefined}
            help={fieldError('settings', k) || undefined}>
            {settingInput(k, s)}
          </Form.Item>
        ))}
        <Typography.Title level={5}>{t('messaging.secrets')}</Typography.Title>
        <Typography.Paragraph type="secondary" style={{ fontSize: 12 }}>{t('messaging.secretsHint')}</Typography.Paragraph>
        {Object.keys(schema?.secrets.properties ?? {}).map((k) => {
          const stored = config?.secretsSet.includes(k);
          return (
            <Form.Item key={k} label={label(k)} htmlFor={`ch-secret-${k}`} required={!stored && (schema?.secrets.required ?? []).includes(k)} validateStatus={fieldError('secrets', k) ? 'error' : undefined}
              help={fieldError('secrets', k) || undefined} extra={stored ? <span data-testid={`secret-stored-${k}`}>{t('messaging.secretStored')}</span> : undefined}>
              <Input.Password id={`ch-secret-${k}`} autoComplete="new-password" value={secrets[k] ?? ''} disabled={readOnly} visibilityToggle={false}
                placeholder={stored ? '••••••••' : undefined} onChange={(e) => setSecrets({ ...secrets, [k]: e.target.value })} />
            </Form.Item>
          );
        })}
      </Form>
    </Drawer>
  );
}
