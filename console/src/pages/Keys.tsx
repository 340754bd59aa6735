import { Alert, Button, Card, Form, Input, Modal, Popconfirm, Radio, Space, Table, Tag, Typography } from 'antd';
import { PlusOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi, type ApiError } from '../api';
import { errorText, Loaded } from '../components/States';
import { useFormat } from '../format';
import { useSession } from '../session';
import { useFeedback } from '../feedback';

interface ApiKey {
  id: string;
  kind: 'write' | 'admin';
  name: string;
  hint: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Write keys (ingest) and admin tokens: list, create (the secret is shown once), revoke. */
export function KeysPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const state = useApi<{ data: ApiKey[] }>('/api/v1/keys');
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<string>();
  const [form] = Form.useForm<{ kind: 'write' | 'admin'; name: string }>();

  const create = async (values: { kind: 'write' | 'admin'; name: string }) => {
    try {
      const created = await api<ApiKey & { secret: string }>('/api/v1/keys', { method: 'POST', body: values });
      setCreating(false);
      form.resetFields();
      setSecret(created.secret);
      state.reload();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    }
  };
  const revoke = async (key: ApiKey) => {
    try {
      await api(`/api/v1/keys/${key.id}`, { method: 'DELETE' });
      message.success(t('keys.revokedOk'));
      state.reload();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    }
  };

  const table = (keys: ApiKey[], testId: string) => (
    <Table<ApiKey>
      data-testid={testId}
      rowKey="id"
      size="middle"
      pagination={false}
      dataSource={keys}
      columns={[
        { title: t('common.name'), dataIndex: 'name' },
        { title: t('keys.hint'), dataIndex: 'hint', render: (v: string) => <Typography.Text code>{v}</Typography.Text> },
        { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => format.dateTime(v) },
        { title: t('keys.lastUsed'), dataIndex: 'lastUsedAt', render: (v: string | null) => format.dateTime(v) },
        {
          title: t('keys.status'),
          render: (_, k) => (k.revokedAt ? <Tag color="red">{t('keys.revoked')}</Tag> : <Tag color="green">{t('keys.active')}</Tag>),
        },
        {
          title: t('common.actions'),
          render: (_, k) =>
            !k.revokedAt && canWrite ? (
              <Popconfirm title={t('keys.revokeConfirm', { name: k.name })} onConfirm={() => revoke(k)} okText={t('keys.revoke')} cancelText={t('common.cancel')}>
                <Button size="small" danger aria-label={`${t('keys.revoke')} ${k.name}`}>{t('keys.revoke')}</Button>
              </Popconfirm>
            ) : null,
        },
      ]}
    />
  );

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3}>{t('keys.title')}</Typography.Title>
        {canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => setCreating(true)}>{t('keys.newKey')}</Button>}
      </Space>
      <Loaded state={state} feature={t('keys.title')}>
        {({ data }) => (
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Card title={t('keys.writeKeys')}>{table(data.filter((k) => k.kind === 'write'), 'write-keys')}</Card>
            <Card title={t('keys.adminTokens')}>{table(data.filter((k) => k.kind === 'admin'), 'admin-tokens')}</Card>
          </Space>
        )}
      </Loaded>
      <Modal open={creating} title={t('keys.newKey')} onCancel={() => setCreating(false)} onOk={() => form.submit()} okText={t('common.create')} cancelText={t('common.cancel')} destroyOnHidden>
        <Form form={form} layout="vertical" onFinish={create} initialValues={{ kind: 'write' }}>
          <Form.Item name="kind" label={t('keys.kind')}>
            <Radio.Group options={[{ value: 'write', label: t('keys.write') }, { value: 'admin', label: t('keys.admin') }]} />
          </Form.Item>
          <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('keys.nameRequired') }]}>
            <Input maxLength={100} />
          </Form.Item>
        </Form>
      </Modal>
      <Modal open={secret !== undefined} title={t('keys.secretTitle')} onCancel={() => setSecret(undefined)} footer={<Button type="primary" onClick={() => setSecret(undefined)}>{t('common.close')}</Button>}>
        <Alert type="warning" showIcon message={t('keys.secretText')} style={{ marginBottom: 16 }} />
        <Typography.Paragraph copyable={{ text: secret }} code data-testid="new-secret">{secret}</Typography.Paragraph>
      </Modal>
    </>
  );
}
