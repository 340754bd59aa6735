import { AppstoreAddOutlined, PlusOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, List, Modal, Select, Space, Table, Tag, Typography } from 'antd';
import { useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, useApi } from '../../api';
import { errorText, Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { Link, navigate } from '../../router';
import { useSession } from '../../session';
import type { Journey } from './data';
import { statusColors } from './JourneyEditor';
import { useFeedback } from '../../feedback';

interface Totals {
  journeyId: string;
  entered: number;
  active: number;
  finished: number;
  exited: number;
  converted: number;
}

/** Journeys with their numbers: entered, active now, completed, conversions. */
export function JourneysPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { canWrite } = useSession();
  const [status, setStatus] = useState<string>();
  const [fromTemplate, setFromTemplate] = useState(false);
  const journeys = useApi<{ data: Journey[] }>('/api/v1/journeys', { status });
  const totals = useApi<{ data: Totals[] }>('/api/v1/journeys/totals');
  const byId = useMemo(() => new Map((totals.data?.data ?? []).map((x) => [x.journeyId, x])), [totals.data]);
  const num = (id: string, k: keyof Omit<Totals, 'journeyId'>) => format.number(byId.get(id)?.[k] ?? 0);

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3}>{t('journeys.title')}</Typography.Title>
        {canWrite && (
          <Space>
            <Button icon={<AppstoreAddOutlined />} onClick={() => setFromTemplate(true)}>{t('journeys.fromTemplate')}</Button>
            <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate('/journeys/new')}>{t('journeys.new')}</Button>
          </Space>
        )}
      </Space>
      <Card>
        <Space style={{ marginBottom: 16 }}>
          <Select aria-label={t('journeys.status')} allowClear placeholder={t('journeys.allStatuses')} value={status} onChange={setStatus} style={{ width: 180 }}
            options={(['draft', 'published', 'paused', 'archived'] as const).map((s) => ({ value: s, label: t(`journeys.statuses.${s}`) }))} />
        </Space>
        <Loaded state={journeys} feature={t('journeys.title')}>
          {(body) => (
            <Table<Journey> data-testid="journeys-table" rowKey="id" dataSource={body.data} loading={journeys.loading} pagination={{ pageSize: 20, showTotal: (n) => t('resources.total', { count: n }) }}
              columns={[
                { key: 'name', title: t('common.name'), dataIndex: 'name', render: (v: string, j) => <Link to={`/journeys/${j.id}`}>{v}</Link> },
                { key: 'status', title: t('journeys.status'), render: (_, j) => <Tag color={statusColors[j.status]}>{t(`journeys.statuses.${j.status}`)}</Tag> },
                { key: 'version', title: t('journeys.version'), render: (_, j) => `v${j.publishedVersion ?? j.latestVersion}${j.publishedVersion !== null && j.latestVersion !== j.publishedVersion ? ` (+v${j.latestVersion})` : ''}` },
                { key: 'entered', title: t('journeys.stats.entered'), align: 'right', render: (_, j) => num(j.id, 'entered') },
                { key: 'active', title: t('journeys.stats.active'), align: 'right', render: (_, j) => num(j.id, 'active') },
                { key: 'finished', title: t('journeys.stats.finished'), align: 'right', render: (_, j) => num(j.id, 'finished') },
                {
                  key: 'converted', title: t('journeys.stats.converted'), align: 'right',
                  render: (_, j) => {
                    const x = byId.get(j.id);
                    return <span>{num(j.id, 'converted')}{x && x.entered > 0 ? <Typography.Text type="secondary"> ({format.percent(x.converted / x.entered)})</Typography.Text> : null}</span>;
                  },
                },
                { key: 'updatedAt', title: t('journeys.updatedAt'), render: (_, j) => format.dateTime(j.updatedAt) },
              ]} />
          )}
        </Loaded>
      </Card>
      {fromTemplate && <TemplateModal onClose={() => setFromTemplate(false)} />}
    </>
  );
}

/** "Create from template": a built-in lifecycle journey installed as a draft, its messages on a chosen channel. */
function TemplateModal({ onClose }: { onClose: () => void }) {
  const { t, i18n } = useTranslation();
  const { message } = useFeedback();
  const templates = useApi<{ data: { key: string; name: string; description: string }[] }>('/api/v1/journey-templates');
  const channels = useApi<{ data: { id: string; name: string; channel: string }[] }>('/api/v1/channels');
  const [key, setKey] = useState<string>();
  const [channelId, setChannelId] = useState<string>();
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);
  const describe = (k: string, fallback: string) => (i18n.exists(`journeys.blueprints.${k}`) ? t(`journeys.blueprints.${k}`) : fallback);
  const install = async () => {
    setBusy(true);
    try {
      const j = await api<Journey>(`/api/v1/journey-templates/${key}/install`, { method: 'POST', body: { channelId, ...(name.trim() ? { name: name.trim() } : {}) } });
      void message.success(t('journeys.installed'));
      navigate(`/journeys/${j.id}`);
    } catch (err) {
      if (err instanceof ApiError) setError(err);
      else throw err;
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal open title={t('journeys.fromTemplate')} onCancel={onClose} width={720} okText={t('journeys.install')} cancelText={t('common.cancel')}
      okButtonProps={{ disabled: !key || !channelId, loading: busy }} onOk={() => void install()}>
      <Loaded state={templates} feature={t('journeys.fromTemplate')}>
        {(body) => (
          <List size="small" bordered dataSource={body.data} style={{ marginBottom: 16, maxHeight: 320, overflow: 'auto' }} renderItem={(b) => (
            <List.Item onClick={() => setKey(b.key)} style={{ cursor: 'pointer', background: key === b.key ? '#e6f4ff' : undefined }} data-testid={`blueprint-${b.key}`}>
              <List.Item.Meta title={b.name} description={describe(b.key, b.description)} />
            </List.Item>
          )} />
        )}
      </Loaded>
      <Form layout="vertical">
        <Form.Item label={t('journeys.templateChannel')} htmlFor="tpl-channel" extra={t('journeys.templateChannelHint')}>
          <Select id="tpl-channel" value={channelId} onChange={setChannelId} placeholder={t('journeys.chooseChannel')}
            options={(channels.data?.data ?? []).filter((c) => c.channel !== 'webhook').map((c) => ({ value: c.id, label: `${c.name} · ${t(`messaging.channelKinds.${c.channel}`)}` }))} />
        </Form.Item>
        <Form.Item label={t('journeys.name')} htmlFor="tpl-name">
          <Input id="tpl-name" value={name} onChange={(e) => setName(e.target.value)} placeholder={t('journeys.nameFromTemplate')} />
        </Form.Item>
      </Form>
      {error && <Alert type="error" showIcon message={errorText(t, error)} />}
    </Modal>
  );
}
