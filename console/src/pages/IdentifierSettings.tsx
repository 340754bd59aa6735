import { Card, InputNumber, Table, Tag, Typography } from 'antd';
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

/** OneID settings: which identifier wins (priority) and how many of a type one person may have (limit). */
export function IdentifierSettingsPage() {
  const { t } = useTranslation();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const state = useApi<{ data: IdentifierSetting[] }>('/api/v1/identifier-settings');

  const save = async (setting: IdentifierSetting, change: Partial<IdentifierSetting>) => {
    const next = { ...setting, ...change };
    try {
      await api(`/api/v1/identifier-settings/${encodeURIComponent(setting.type)}`, { method: 'PUT', body: { priority: next.priority, maxPerProfile: next.maxPerProfile } });
      state.reload();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    }
  };

  return (
    <>
      <Typography.Title level={3}>{t('menu.identifiers')}</Typography.Title>
      <Card>
        <Loaded state={state} feature={t('menu.identifiers')}>
          {({ data }) => (
            <Table<IdentifierSetting>
              rowKey="type"
              pagination={false}
              dataSource={data}
              columns={[
                { title: t('identifiers.type'), dataIndex: 'type', render: (v: string) => <Tag color="blue">{v}</Tag> },
                {
                  title: t('identifiers.priority'),
                  render: (_, s) => (
                    <InputNumber aria-label={`${t('identifiers.priority')} ${s.type}`} disabled={!canWrite} value={s.priority} onBlur={(e) => {
                      const v = Number(e.target.value);
                      if (Number.isInteger(v) && v !== s.priority) void save(s, { priority: v });
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
                        if (v !== s.maxPerProfile && (v === null || (Number.isInteger(v) && v > 0))) void save(s, { maxPerProfile: v });
                      }} />
                  ),
                },
              ]}
            />
          )}
        </Loaded>
      </Card>
    </>
  );
}
