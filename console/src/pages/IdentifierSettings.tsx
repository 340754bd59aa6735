import { Button, Card, Form, Input, InputNumber, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, useApi, type ApiError } from '../api';
import { errorText, Loaded } from '../components/States';
import { useSession } from '../session';
import { useFeedback } from '../feedback';

interface IdentifierSetting {
  type: string;
  priority: number;
  maxPerProfile: number | null;
  isDefault?: boolean;
}

/** The identifier types every workspace has: shown with their name in the operator's language. */
const BUILT_IN = ['userId', 'member_no', 'phone', 'wechat_unionid', 'email', 'wechat_openid', 'wecom_external_userid', 'anonymousId'];
/** The same rule as ingest's `context.externalIds[].type`: a type the API would refuse is refused here first. */
const TYPE_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * OneID settings: which identifier wins (priority) and how many of a type one person may have (limit). A brand adds
 * its own types here (a Douyin or Tmall buyer id, a store card number) before sending them as externalIds, to give
 * them a priority and a limit of their own.
 */
export function IdentifierSettingsPage() {
  const { t } = useTranslation();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const state = useApi<{ data: IdentifierSetting[] }>('/api/v1/identifier-settings');
  const [form] = Form.useForm<{ type: string; priority: number; maxPerProfile?: number | null }>();

  const put = async (type: string, priority: number, maxPerProfile: number | null) => {
    try {
      await api(`/api/v1/identifier-settings/${encodeURIComponent(type)}`, { method: 'PUT', body: { priority, maxPerProfile } });
      message.success(t('identifiers.saved', { type: typeLabel(type) }));
      state.reload();
      return true;
    } catch (err) {
      message.error(errorText(t, err as ApiError));
      return false;
    }
  };
  const typeLabel = (type: string) => (BUILT_IN.includes(type) ? t(`identifiers.types.${type}`) : type);

  return (
    <>
      <Typography.Title level={3}>{t('menu.identifiers')}</Typography.Title>
      <Typography.Paragraph type="secondary" style={{ maxWidth: 900 }}>{t('identifiers.help')}</Typography.Paragraph>
      <Card>
        <Loaded state={state} feature={t('menu.identifiers')}>
          {({ data }) => (
            <Table<IdentifierSetting>
              rowKey="type"
              pagination={false}
              dataSource={[...data].sort((a, b) => b.priority - a.priority || a.type.localeCompare(b.type))}
              columns={[
                {
                  title: t('identifiers.type'),
                  dataIndex: 'type',
                  render: (v: string) => (
                    <Space>
                      <Typography.Text strong>{typeLabel(v)}</Typography.Text>
                      <Tag color={BUILT_IN.includes(v) ? 'blue' : 'purple'}>{v}</Tag>
                    </Space>
                  ),
                },
                {
                  title: t('identifiers.priority'),
                  render: (_, s) => (
                    <InputNumber aria-label={`${t('identifiers.priority')} ${s.type}`} disabled={!canWrite} value={s.priority} onBlur={(e) => {
                      const v = Number(e.target.value);
                      if (Number.isInteger(v) && v !== s.priority) void put(s.type, v, s.maxPerProfile);
                    }} />
                  ),
                },
                {
                  title: t('identifiers.maxPerProfile'),
                  render: (_, s) => (
                    <InputNumber aria-label={`${t('identifiers.maxPerProfile')} ${s.type}`} disabled={!canWrite} min={1} placeholder={t('identifiers.unlimited')} value={s.maxPerProfile ?? undefined}
                      onBlur={(e) => {
                        const raw = e.target.value.trim();
                        const v = raw === '' ? null : Number(raw);
                        if (v !== s.maxPerProfile && (v === null || (Number.isInteger(v) && v > 0))) void put(s.type, s.priority, v);
                      }} />
                  ),
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
      {canWrite && (
        <Card title={t('identifiers.addTitle')} style={{ marginTop: 16 }}>
          <Typography.Paragraph type="secondary">{t('identifiers.addHelp')}</Typography.Paragraph>
          <Form
            form={form}
            layout="inline"
            initialValues={{ priority: 40 }}
            onFinish={async (v) => {
              if (await put(v.type.trim(), v.priority, v.maxPerProfile ?? null)) form.resetFields();
            }}
          >
            <Form.Item
              name="type"
              label={t('identifiers.type')}
              rules={[
                { required: true, message: t('identifiers.typeRequired') },
                { pattern: TYPE_PATTERN, message: t('identifiers.typePattern') },
                {
                  validator: async (_, value: string | undefined) => {
                    if (value && (state.data?.data ?? []).some((s) => s.type === value.trim())) throw new Error(t('identifiers.typeExists'));
                  },
                },
              ]}
            >
              <Input placeholder="douyin_openid" style={{ width: 220 }} data-testid="identifier-new-type" />
            </Form.Item>
            <Form.Item name="priority" label={t('identifiers.priority')} rules={[{ required: true }]}>
              <InputNumber aria-label={`${t('identifiers.priority')} (new)`} />
            </Form.Item>
            <Form.Item name="maxPerProfile" label={t('identifiers.maxPerProfile')}>
              <InputNumber aria-label={`${t('identifiers.maxPerProfile')} (new)`} min={1} placeholder={t('identifiers.unlimited')} />
            </Form.Item>
            <Form.Item>
              <Button type="primary" htmlType="submit" data-testid="identifier-add">{t('identifiers.add')}</Button>
            </Form.Item>
          </Form>
        </Card>
      )}
    </>
  );
}
