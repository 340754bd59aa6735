import { DeleteOutlined, PlusOutlined, SaveOutlined, SendOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Form, Input, Modal, Row, Select, Space, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, useApi } from '../../api';
import { errorText, Loaded } from '../../components/States';
import { navigate, useLocation } from '../../router';
import type { PageProps } from '../../routes';
import { useSession } from '../../session';
import { PreviewPane, type Rendered } from './Preview';
import { ProfilePicker } from './ProfilePicker';
import { useFeedback } from '../../feedback';

export const CHANNELS = ['email', 'sms', 'wechat', 'wecom', 'webhook'] as const;
export interface Template {
  id: string;
  name: string;
  channel: (typeof CHANNELS)[number];
  parts: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
}

const LIQUID_EXAMPLES = ['{{ traits.name }}', '{{ tags }}', '{{ event.properties.sku }}', '{{ coupon.code }}', '{{ points.balance }}'];

const starter: Record<string, Record<string, unknown>> = {
  email: { subject: '{{ traits.name | default: "朋友" }}，您好', html: '<p>{{ traits.name }}，您好！</p>', text: '' },
  sms: { text: '{{ traits.name }}，您好！', signName: '', rule: 'china' },
  wechat: { templateId: '', fields: { first: { value: '{{ traits.name }}，您好' }, remark: { value: '' } }, url: '' },
  wecom: { text: '{{ traits.name }}，您好！' },
  webhook: { body: '{ "profileId": {{ profile.id }}, "name": "{{ traits.name }}" }' },
};

/** Drops empty optional parts (the server's schema refuses an empty string where it wants a value or nothing). */
function cleanParts(channel: string, parts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(parts)) if (v !== '' && v !== undefined) out[k] = v;
  if (channel === 'wechat' && !out.url) delete out.url;
  return out;
}

/** /templates/new?channel=… and /templates/:id: Liquid parts per channel, a live preview for a chosen profile, test send. */
export function TemplateEditorPage({ params }: PageProps) {
  const { t } = useTranslation();
  const { search } = useLocation();
  const state = useApi<Template>(params.id ? `/api/v1/templates/${params.id}` : null);
  // The person previewed for stays chosen across a save (the editor restarts from the saved template).
  const [profileId, setProfileId] = useState<number>();
  const person = { profileId, setProfileId };
  if (!params.id) {
    const channel = (CHANNELS as readonly string[]).includes(search.get('channel') ?? '') ? (search.get('channel') as Template['channel']) : 'sms';
    return <Editor key={channel} initial={{ name: '', channel, parts: structuredClone(starter[channel]!) }} {...person} />;
  }
  return <Loaded state={state} feature={t('messaging.templates')}>{(tpl) => <Editor key={tpl.id + tpl.updatedAt} template={tpl} initial={tpl} onSaved={state.reload} {...person} />}</Loaded>;
}

function Editor({ template, initial, onSaved, profileId, setProfileId }: {
  template?: Template;
  initial: Pick<Template, 'name' | 'channel' | 'parts'>;
  onSaved?: () => void;
  profileId?: number;
  setProfileId: (id: number | undefined) => void;
}) {
  const { t } = useTranslation();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const [name, setName] = useState(initial.name);
  const [parts, setParts] = useState<Record<string, unknown>>(initial.parts);
  const [preview, setPreview] = useState<{ rendered?: Rendered; error?: ApiError; loading: boolean }>({ loading: false });
  const [saveError, setSaveError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const [testing, setTesting] = useState(false);
  const channel = initial.channel;
  const body = { name: name.trim() || 'preview', channel, parts: cleanParts(channel, parts) };
  const text = JSON.stringify([body, profileId]);
  const latest = useRef(text);
  latest.current = text;

  // Live preview: writers render the edits as typed (POST), analysts the stored template (GET).
  useEffect(() => {
    setPreview((p) => ({ ...p, loading: true }));
    const timer = setTimeout(() => {
      const request = canWrite
        ? api<Rendered>('/api/v1/templates/preview', { method: 'POST', body: { template: body, ...(profileId ? { profileId } : {}) } })
        : api<Rendered>(`/api/v1/templates/${template?.id}/preview`, { query: { profileId } });
      request.then(
        (rendered) => latest.current === text && setPreview({ rendered, loading: false }),
        (error: ApiError) => latest.current === text && setPreview({ error, loading: false }),
      );
    }, 400);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text, canWrite]);

  const save = async (): Promise<Template | undefined> => {
    setBusy(true);
    try {
      const input = { ...body, name: name.trim() };
      const saved = template
        ? await api<Template>(`/api/v1/templates/${template.id}`, { method: 'PUT', body: input })
        : await api<Template>('/api/v1/templates', { method: 'POST', body: input });
      setSaveError(undefined);
      void message.success(t('messaging.savedOk'));
      if (template) onSaved?.();
      else navigate(`/templates/${saved.id}`, { replace: true });
      return saved;
    } catch (err) {
      if (err instanceof ApiError) setSaveError(err);
      else throw err;
      return undefined;
    } finally {
      setBusy(false);
    }
  };
  const remove = () => Modal.confirm({
    title: t('messaging.deleteConfirm', { name: template?.name }),
    okButtonProps: { danger: true },
    okText: t('messaging.delete'),
    cancelText: t('common.cancel'),
    onOk: async () => {
      await api(`/api/v1/templates/${template!.id}`, { method: 'DELETE' }).then(() => navigate('/templates'), (err: ApiError) => void message.error(errorText(t, err)));
    },
  });

  const partError = (part: string) => saveError?.details.filter((d) => d.path === `parts.${part}` || d.path?.startsWith(`parts.${part}.`) || d.path === `body.parts.${part}`).map((d) => d.message).join('; ');
  const field = (part: string, label: string, input: 'line' | 'area' | 'code' = 'line', required = false) => (
    <Form.Item key={part} label={label} htmlFor={`tp-${part}`} required={required} validateStatus={partError(part) ? 'error' : undefined} help={partError(part) || undefined}>
      {input === 'line'
        ? <Input id={`tp-${part}`} value={(parts[part] as string) ?? ''} disabled={!canWrite} onChange={(e) => setParts({ ...parts, [part]: e.target.value })} />
        : <Input.TextArea id={`tp-${part}`} value={(parts[part] as string) ?? ''} disabled={!canWrite} rows={input === 'code' ? 8 : 4} style={input === 'code' ? { fontFamily: 'monospace' } : undefined}
          onChange={(e) => setParts({ ...parts, [part]: e.target.value })} />}
    </Form.Item>
  );

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
        <Typography.Title level={3} style={{ margin: 0 }} data-testid="template-title">
          {template ? template.name : t('messaging.newTemplate')} <Typography.Text type="secondary">· {t(`messaging.channelKinds.${channel}`)}</Typography.Text>
        </Typography.Title>
        <Space>
          <Button onClick={() => navigate('/templates')}>{t('common.back')}</Button>
          {canWrite && template && <Button danger icon={<DeleteOutlined />} onClick={remove}>{t('messaging.delete')}</Button>}
          {canWrite && template && <Button icon={<SendOutlined />} onClick={() => setTesting(true)}>{t('messaging.testSend')}</Button>}
          {canWrite && <Button type="primary" icon={<SaveOutlined />} loading={busy} disabled={!name.trim()} onClick={() => void save()} data-testid="save-template">{t('common.save')}</Button>}
        </Space>
      </Space>
      {!canWrite && <Alert type="info" showIcon message={t('messaging.readOnly')} style={{ marginBottom: 12 }} />}
      {saveError && !saveError.details.some((d) => d.path?.includes('parts.')) && <Alert type="error" showIcon message={errorText(t, saveError)} style={{ marginBottom: 12 }} />}
      <Row gutter={16}>
        <Col xs={24} lg={13}>
          <Card size="small" title={t('messaging.content')}>
            <Form layout="vertical">
              <Form.Item label={t('common.name')} htmlFor="tp-name" required>
                <Input id="tp-name" value={name} disabled={!canWrite} onChange={(e) => setName(e.target.value)} />
              </Form.Item>
              {channel === 'email' && [field('subject', t('messaging.parts.subject'), 'line', true), field('html', t('messaging.parts.html'), 'code', true), field('text', t('messaging.parts.text'), 'area')]}
              {channel === 'sms' && [
                field('text', t('messaging.parts.smsText'), 'area', true), field('signName', t('messaging.parts.signName')),
                <Form.Item key="rule" label={t('messaging.parts.rule')} htmlFor="tp-rule">
                  <Select id="tp-rule" value={(parts.rule as string) ?? 'china'} disabled={!canWrite} onChange={(rule) => setParts({ ...parts, rule })}
                    options={[{ value: 'china', label: t('messaging.rules.china') }, { value: 'gsm', label: t('messaging.rules.gsm') }]} />
                </Form.Item>,
                field('templateCode', t('messaging.parts.templateCode')),
              ]}
              {channel === 'wechat' && [field('templateId', t('messaging.parts.wechatTemplateId'), 'line', true), <WechatFields key="fields" parts={parts} setParts={setParts} readOnly={!canWrite} />, field('url', t('messaging.parts.url'))]}
              {channel === 'wecom' && field('text', t('messaging.parts.wecomText'), 'area', true)}
              {channel === 'webhook' && field('body', t('messaging.parts.body'), 'code', true)}
              <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginBottom: 0 }}>
                {t('messaging.liquidHint')} {LIQUID_EXAMPLES.map((x) => <Typography.Text key={x} code style={{ fontSize: 12 }}>{x}</Typography.Text>)}
              </Typography.Paragraph>
            </Form>
          </Card>
        </Col>
        <Col xs={24} lg={11}>
          <Card size="small" title={t('messaging.preview')} extra={<ProfilePicker value={profileId} onChange={setProfileId} />}>
            <PreviewPane {...preview} />
          </Card>
        </Col>
      </Row>
      {testing && template && <TestSendModal template={template} profileId={profileId} onClose={() => setTesting(false)} />}
    </>
  );
}

function WechatFields({ parts, setParts, readOnly }: { parts: Record<string, unknown>; setParts: (p: Record<string, unknown>) => void; readOnly: boolean }) {
  const { t } = useTranslation();
  const fields = Object.entries((parts.fields as Record<string, { value: string }>) ?? {});
  const set = (list: [string, { value: string }][]) => setParts({ ...parts, fields: Object.fromEntries(list) });
  return (
    <Form.Item label={t('messaging.parts.fields')}>
      {fields.map(([k, v], i) => (
        <Space key={i} style={{ display: 'flex', marginBottom: 4 }}>
          <Input aria-label={t('messaging.fieldKey')} value={k} disabled={readOnly} style={{ width: 120 }} onChange={(e) => set(fields.map((f, j) => (j === i ? [e.target.value, f[1]] : f)))} />
          <Input aria-label={t('messaging.fieldValue')} value={v.value} disabled={readOnly} style={{ width: 280 }} onChange={(e) => set(fields.map((f, j) => (j === i ? [f[0], { ...f[1], value: e.target.value }] : f)))} />
          {!readOnly && <Button icon={<DeleteOutlined />} aria-label={t('journeys.removeItem')} onClick={() => set(fields.filter((_, j) => j !== i))} />}
        </Space>
      ))}
      {!readOnly && <Button size="small" icon={<PlusOutlined />} onClick={() => set([...fields, [`keyword${fields.length}`, { value: '' }]])}>{t('messaging.addField')}</Button>}
    </Form.Item>
  );
}

/** Renders for the chosen profile and sends now through a channel of the template's kind. */
function TestSendModal({ template, profileId, onClose }: { template: Template; profileId?: number; onClose: () => void }) {
  const { t } = useTranslation();
  const channels = useApi<{ data: { id: string; name: string; channel: string }[] }>('/api/v1/channels', { channel: template.channel });
  const [channelId, setChannelId] = useState<string>();
  const [person, setPerson] = useState<number | undefined>(profileId);
  const [to, setTo] = useState('');
  const [result, setResult] = useState<{ ok: boolean; providerMessageId?: string; error?: { message: string } }>();
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const send = async () => {
    setBusy(true);
    setError(undefined);
    setResult(undefined);
    try {
      setResult(await api(`/api/v1/templates/${template.id}/test-send`, { method: 'POST', body: { channelId, ...(person ? { profileId: person } : {}), ...(to.trim() ? { to: to.trim() } : {}) } }));
    } catch (err) {
      if (err instanceof ApiError) setError(err);
      else throw err;
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open title={t('messaging.testSend')} onCancel={onClose} okText={t('messaging.send')} cancelText={t('common.close')} onOk={() => void send()} okButtonProps={{ disabled: !channelId, loading: busy }}>
      <Form layout="vertical">
        <Form.Item label={t('messaging.channel')} htmlFor="ts-channel" required>
          <Select id="ts-channel" value={channelId} onChange={setChannelId} placeholder={t('journeys.chooseChannel')} options={(channels.data?.data ?? []).map((c) => ({ value: c.id, label: c.name }))} />
        </Form.Item>
        <Form.Item label={t('messaging.previewFor')} htmlFor="ts-profile"><ProfilePicker id="ts-profile" value={person} onChange={setPerson} /></Form.Item>
        <Form.Item label={t('messaging.to')} htmlFor="ts-to" extra={t('messaging.toHint')}><Input id="ts-to" value={to} onChange={(e) => setTo(e.target.value)} /></Form.Item>
      </Form>
      {result && (result.ok
        ? <Alert type="success" showIcon message={t('messaging.sentOk', { id: result.providerMessageId ?? '—' })} data-testid="test-send-result" />
        : <Alert type="error" showIcon message={t('messaging.sendFailed', { reason: result.error?.message ?? '' })} data-testid="test-send-result" />)}
      {error && <Alert type="error" showIcon message={errorText(t, error)} />}
    </Modal>
  );
}
