import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Dropdown, Space, Table, Tabs, Tag, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useApi } from '../../api';
import { Loaded } from '../../components/States';
import { useFormat } from '../../format';
import { Link, navigate, useLocation } from '../../router';
import { useSession } from '../../session';
import { ChannelsTab } from './Channels';
import { CHANNELS, type Template } from './TemplateEditor';

/** Templates & channels: message templates by channel, and the channel configurations they are sent through. */
export function MessagingPage() {
  const { t } = useTranslation();
  const { search } = useLocation();
  const tab = search.get('tab') === 'channels' ? 'channels' : 'templates';
  return (
    <>
      <Typography.Title level={3}>{t('messaging.title')}</Typography.Title>
      <Card>
        <Tabs activeKey={tab} onChange={(k) => navigate(k === 'channels' ? '/templates?tab=channels' : '/templates', { replace: true })} items={[
          { key: 'templates', label: t('messaging.templates'), children: <TemplatesTab /> },
          { key: 'channels', label: t('messaging.channels'), children: <ChannelsTab /> },
        ]} />
      </Card>
    </>
  );
}

function TemplatesTab() {
  const { t } = useTranslation();
  const format = useFormat();
  const { canWrite } = useSession();
  const [channel, setChannel] = useState<string>();
  const templates = useApi<{ data: Template[] }>('/api/v1/templates', { channel });
  return (
    <>
      <Space style={{ marginBottom: 12 }} wrap>
        <Tabs size="small" activeKey={channel ?? 'all'} onChange={(k) => setChannel(k === 'all' ? undefined : k)}
          items={[{ key: 'all', label: t('messaging.allChannels') }, ...CHANNELS.map((c) => ({ key: c, label: t(`messaging.channelKinds.${c}`) }))]} />
        {canWrite && (
          <Dropdown menu={{ items: CHANNELS.map((c) => ({ key: c, label: t(`messaging.channelKinds.${c}`) })), onClick: ({ key }) => navigate(`/templates/new?channel=${key}`) }}>
            <Button type="primary" icon={<PlusOutlined />}>{t('messaging.newTemplate')}</Button>
          </Dropdown>
        )}
      </Space>
      <Loaded state={templates} feature={t('messaging.templates')}>
        {(body) => (
          <Table<Template> data-testid="templates-table" rowKey="id" dataSource={body.data} loading={templates.loading} pagination={{ pageSize: 20, showTotal: (n) => t('resources.total', { count: n }) }}
            columns={[
              { key: 'name', title: t('common.name'), render: (_, x) => <Link to={`/templates/${x.id}`}>{x.name}</Link> },
              { key: 'channel', title: t('messaging.channel'), render: (_, x) => <Tag>{t(`messaging.channelKinds.${x.channel}`)}</Tag> },
              { key: 'excerpt', title: t('messaging.excerpt'), render: (_, x) => <Typography.Text type="secondary" ellipsis style={{ maxWidth: 360 }}>{String(x.parts.subject ?? x.parts.text ?? x.parts.templateId ?? x.parts.body ?? '')}</Typography.Text> },
              { key: 'updatedAt', title: t('messaging.updatedAt'), render: (_, x) => format.dateTime(x.updatedAt) },
            ]} />
        )}
      </Loaded>
    </>
  );
}
