import { Alert, Button, Card, Form, Input, Modal, Select, Space, Switch, Table, Tag, Typography } from 'antd';
import { UserAddOutlined } from '@ant-design/icons';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi, type ApiError } from '../api';
import { errorText, Loaded } from '../components/States';
import { useFormat } from '../format';
import { useSession, type Role } from '../session';
import { useFeedback } from '../feedback';

interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  guideId: string | null;
  status: 'active' | 'invited' | 'disabled';
  lastSignInAt: string | null;
}
const roles: Role[] = ['owner', 'operator', 'analyst', 'guide'];
const statusColor = { active: 'green', invited: 'gold', disabled: 'default' } as const;

/** Console users: owners invite, change roles and disable; others see the list. */
export function TeamPage() {
  const { t } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const { me } = useSession();
  const owner = me?.role === 'owner';
  const state = useApi<{ data: User[] }>('/api/v1/users');
  const [inviting, setInviting] = useState(false);
  const [link, setLink] = useState<{ email: string; url: string }>();
  const [form] = Form.useForm<{ email: string; name: string; role: Role; guideId?: string }>();
  const role = Form.useWatch('role', form);

  const run = async (action: () => Promise<unknown>) => {
    try {
      await action();
      state.reload();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    }
  };
  const invite = (values: { email: string; name: string; role: Role; guideId?: string }) =>
    run(async () => {
      const created = await api<{ email: string; inviteUrl: string }>('/api/v1/users', { method: 'POST', body: values });
      setInviting(false);
      form.resetFields();
      setLink({ email: created.email, url: created.inviteUrl });
    });
  const change = (user: User, body: Record<string, unknown>) => run(() => api(`/api/v1/users/${user.id}`, { method: 'PATCH', body }));

  return (
    <>
      <Space style={{ width: '100%', justifyContent: 'space-between' }}>
        <Typography.Title level={3}>{t('team.title')}</Typography.Title>
        {owner && <Button type="primary" icon={<UserAddOutlined />} onClick={() => setInviting(true)}>{t('team.invite')}</Button>}
      </Space>
      {!owner && <Alert type="info" message={t('team.ownerOnly')} style={{ marginBottom: 16 }} />}
      <Card>
        <Loaded state={state} feature={t('team.title')}>
          {({ data }) => (
            <Table<User>
              rowKey="id"
              pagination={false}
              dataSource={data}
              columns={[
                { title: t('common.name'), dataIndex: 'name' },
                { title: t('auth.email'), dataIndex: 'email' },
                {
                  title: t('team.role'),
                  render: (_, u) =>
                    owner && u.role !== 'guide' ? (
                      <Select size="small" value={u.role} style={{ width: 160 }} aria-label={t('team.role')} onChange={(r) => change(u, { role: r })}
                        options={roles.filter((r) => r !== 'guide').map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
                    ) : (
                      t(`roles.${u.role}`)
                    ),
                },
                { title: t('team.status'), render: (_, u) => <Tag color={statusColor[u.status]}>{t(`team.status${u.status[0]!.toUpperCase()}${u.status.slice(1)}`)}</Tag> },
                { title: t('team.lastSignIn'), dataIndex: 'lastSignInAt', render: (v: string | null) => format.dateTime(v) },
                ...(owner
                  ? [{ title: t('team.enable'), render: (_: unknown, u: User) => (
                      <Switch size="small" checked={u.status !== 'disabled'} aria-label={t('team.enable')} onChange={(on) => change(u, { disabled: !on })} />
                    ) }]
                  : []),
              ]}
            />
          )}
        </Loaded>
      </Card>
      <Modal open={inviting} title={t('team.invite')} onCancel={() => setInviting(false)} onOk={() => form.submit()} okText={t('team.invite')} cancelText={t('common.cancel')} destroyOnHidden>
        <Form form={form} layout="vertical" onFinish={invite} initialValues={{ role: 'operator' }}>
          <Form.Item name="email" label={t('auth.email')} rules={[{ required: true, type: 'email', message: t('auth.emailRequired') }]}><Input /></Form.Item>
          <Form.Item name="name" label={t('common.name')} rules={[{ required: true }]}><Input /></Form.Item>
          <Form.Item name="role" label={t('team.role')}>
            <Select options={roles.map((r) => ({ value: r, label: t(`roles.${r}`) }))} />
          </Form.Item>
          {role === 'guide' && <Form.Item name="guideId" label={t('team.guideId')} rules={[{ required: true }]}><Input /></Form.Item>}
        </Form>
      </Modal>
      <Modal open={link !== undefined} title={t('team.inviteLinkTitle')} onCancel={() => setLink(undefined)} footer={<Button onClick={() => setLink(undefined)}>{t('common.close')}</Button>}>
        <p>{t('team.inviteLinkText', { email: link?.email })}</p>
        <Typography.Paragraph copyable code>{link?.url}</Typography.Paragraph>
      </Modal>
    </>
  );
}
