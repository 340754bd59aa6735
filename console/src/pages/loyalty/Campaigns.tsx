import { Alert, Button, Card, Form, Input, Progress, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi, type ApiError } from '../../api';
import { errorText } from '../../components/States';
import { useFormat } from '../../format';
import { useLocation } from '../../router';
import { useSession } from '../../session';
import { useAction, useLoyaltyRefs, type Campaign } from './common';

interface SegmentRow {
  id: string;
  name: string;
  size: number;
}

const PAGE = 20;

/** Coupon campaigns: issue a template to a segment in the background and follow its progress. */
export function CampaignsTab() {
  const { t } = useTranslation();
  const { canWrite } = useSession();
  const [limit, setLimit] = useState(PAGE);
  const list = useApi<{ data: Campaign[]; nextBefore: string | null }>('/api/v1/loyalty/coupon-campaigns', { limit });
  // Campaigns looked up by id that are older than the page shown.
  const [found, setFound] = useState<string[]>([]);
  const listed = list.data?.data.map((c) => c.id) ?? [];
  const ids = [...found.filter((id) => !listed.includes(id)), ...listed];
  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      {canWrite && <LaunchCampaign onLaunched={() => list.reload()} />}
      <Card title={t('loyalty.campaign.recent')} extra={<FindCampaign onFound={(id) => setFound((current) => [id, ...current.filter((c) => c !== id)])} />}>
        <Typography.Paragraph type="secondary">{t('loyalty.campaign.recentNote')}</Typography.Paragraph>
        {list.error && <Alert type="error" showIcon message={errorText(t, list.error)} />}
        {ids.length === 0 ? (
          <Typography.Text type="secondary">{list.loading ? t('common.loading') : t('loyalty.campaign.none')}</Typography.Text>
        ) : (
          <Space direction="vertical" style={{ width: '100%' }} data-testid="campaigns">
            {ids.map((id) => <CampaignProgress key={id} id={id} />)}
            {list.data?.nextBefore && <Button onClick={() => setLimit((n) => Math.min(500, n + PAGE))} data-testid="more-campaigns">{t('loyalty.campaign.more')}</Button>}
          </Space>
        )}
      </Card>
    </Space>
  );
}

function LaunchCampaign({ onLaunched }: { onLaunched: (id: string) => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const act = useAction();
  const { search } = useLocation();
  const { templates } = useLoyaltyRefs();
  const segments = useApi<{ data: SegmentRow[] }>('/api/v1/segments', { limit: 1000, sort: 'name' });
  const [form] = Form.useForm<{ templateId: string; segmentId: string }>();
  const [busy, setBusy] = useState(false);
  const segmentId = Form.useWatch('segmentId', form);
  const size = segments.data?.data.find((s) => s.id === segmentId)?.size;
  return (
    <Card title={t('loyalty.campaign.launch')}>
      <Form
        form={form}
        layout="inline"
        initialValues={{ templateId: search.get('template') ?? undefined }}
        onFinish={async (v) => {
          setBusy(true);
          const campaign = await act(() => api<Campaign>('/api/v1/loyalty/coupon-campaigns', { method: 'POST', body: { templateId: v.templateId, segmentId: v.segmentId } }), 'loyalty.campaign.started', form);
          setBusy(false);
          if (campaign) {
            onLaunched(campaign.id);
            form.resetFields(['segmentId']);
          }
        }}
      >
        <Form.Item name="templateId" label={t('loyalty.coupon.template')} rules={[{ required: true, message: t('loyalty.coupon.templateRequired') }]}>
          <Select
            style={{ width: 240 }}
            showSearch
            optionFilterProp="label"
            loading={templates.loading}
            options={(templates.data?.data ?? []).filter((tpl) => tpl.status === 'active').map((tpl) => ({ value: tpl.id, label: tpl.name }))}
          />
        </Form.Item>
        <Form.Item name="segmentId" label={t('loyalty.campaign.segment')} rules={[{ required: true, message: t('loyalty.campaign.segmentRequired') }]}>
          <Select
            style={{ width: 260 }}
            showSearch
            optionFilterProp="label"
            loading={segments.loading}
            options={(segments.data?.data ?? []).map((s) => ({ value: s.id, label: s.name }))}
          />
        </Form.Item>
        <Form.Item>
          <Button type="primary" htmlType="submit" loading={busy} data-testid="launch-campaign">{t('loyalty.campaign.issue')}</Button>
        </Form.Item>
      </Form>
      {size !== undefined && <Typography.Paragraph type="secondary" style={{ marginTop: 12 }}>{t('loyalty.campaign.segmentSize', { count: size, size: format.number(size) })}</Typography.Paragraph>}
      {segments.error && <Alert type="warning" showIcon style={{ marginTop: 12 }} message={errorText(t, segments.error)} />}
    </Card>
  );
}

function FindCampaign({ onFound }: { onFound: (id: string) => void }) {
  const { t } = useTranslation();
  const act = useAction();
  return (
    <Input.Search
      aria-label={t('loyalty.campaign.findPlaceholder')}
      placeholder={t('loyalty.campaign.findPlaceholder')}
      enterButton={t('loyalty.campaign.find')}
      style={{ width: 300 }}
      onSearch={async (value) => {
        const id = value.trim();
        if (!id) return;
        const found = await act(() => api<Campaign>(`/api/v1/loyalty/coupon-campaigns/${encodeURIComponent(id)}`));
        if (found) onFound(found.id);
      }}
    />
  );
}

const finished = (c?: Campaign) => c?.status === 'done' || c?.status === 'failed';

/** One campaign, polled every second until it is done or failed. */
function CampaignProgress({ id }: { id: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { templateName } = useLoyaltyRefs();
  const [campaign, setCampaign] = useState<Campaign>();
  const [error, setError] = useState<ApiError>();
  useEffect(() => {
    let stop = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const next = await api<Campaign>(`/api/v1/loyalty/coupon-campaigns/${encodeURIComponent(id)}`);
        if (stop) return;
        setCampaign(next);
        setError(undefined);
        if (!finished(next)) timer = setTimeout(poll, 1000);
      } catch (err) {
        if (stop) return;
        setError(err as ApiError);
        if ((err as ApiError).status !== 404) timer = setTimeout(poll, 3000);
      }
    };
    void poll();
    return () => {
      stop = true;
      if (timer) clearTimeout(timer);
    };
  }, [id]);
  if (error && !campaign) return <Alert type="error" showIcon message={`${id}: ${errorText(t, error)}`} />;
  if (!campaign) return <Typography.Text type="secondary">{t('common.loading')}</Typography.Text>;
  const percent = Math.round(campaign.progress * 100);
  const statusColor = { pending: 'default', running: 'processing', done: 'success', failed: 'error' }[campaign.status];
  return (
    <Card size="small" data-testid="campaign" data-status={campaign.status}>
      <Space direction="vertical" style={{ width: '100%' }} size={4}>
        <Space wrap>
          <Typography.Text strong>{templateName(campaign.templateId)}</Typography.Text>
          <Tag color={statusColor}>{t(`loyalty.campaign.status_${campaign.status}`)}</Tag>
          <Typography.Text type="secondary">{campaign.id} · {format.dateTime(campaign.createdAt)}</Typography.Text>
        </Space>
        <Progress percent={percent} status={campaign.status === 'failed' ? 'exception' : campaign.status === 'done' ? 'success' : 'active'} />
        <Table
          size="small"
          pagination={false}
          rowKey="k"
          showHeader={false}
          style={{ maxWidth: 520 }}
          dataSource={[
            { k: 'processed', label: t('loyalty.campaign.processed'), value: `${format.number(campaign.processed)} / ${campaign.total == null ? '…' : format.number(campaign.total)}` },
            { k: 'issued', label: t('loyalty.campaign.issued'), value: format.number(campaign.issued) },
            { k: 'skipped', label: t('loyalty.campaign.skipped'), value: format.number(campaign.skipped) },
          ]}
          columns={[{ dataIndex: 'label' }, { dataIndex: 'value', align: 'right', render: (v: string, row) => <span data-testid={`campaign-${row.k}`}>{v}</span> }]}
        />
        {campaign.error && <Alert type={campaign.status === 'failed' ? 'error' : 'warning'} showIcon message={t('loyalty.campaign.stopped', { reason: campaign.error })} />}
      </Space>
    </Card>
  );
}
