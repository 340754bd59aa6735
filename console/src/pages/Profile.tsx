import { Alert, Button, Card, Col, Descriptions, Popconfirm, Row, Space, Table, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { api, useApi, type ApiError } from '../api';
import { errorText, Loaded } from '../components/States';
import { useFormat } from '../format';
import { Link } from '../router';
import { useSession } from '../session';
import type { PageProps } from '../routes';
import { profileName, valueText } from './profileText';
import { ProfileExtras } from './ProfileExtras';
import { ProfileLoyalty } from './ProfileLoyalty';
import { Timeline } from './Timeline';
import { useFeedback } from '../feedback';

export interface ProfileView {
  id: number;
  redirectedFrom?: number;
  traits: Record<string, unknown>;
  traitTimes: Record<string, string>;
  identifiers: { type: string; value: string; firstSeenAt: string }[];
  channels?: string[];
  merges: { id: number; kind: 'merge' | 'unmerge'; otherProfileId: number; reason: string; createdAt: string; undoneAt: string | null }[];
  conflicts: { identifier?: string; otherIdentifier?: string; reason: string; eventTime?: string }[];
  firstSeenAt: string | null;
  lastSeenAt: string | null;
}

/** The 360° profile: identities, traits, merge history with unmerge, and the unified timeline. */
export function ProfilePage({ params }: PageProps) {
  const { t } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const state = useApi<ProfileView>(`/api/v1/profiles/${encodeURIComponent(params.id ?? '')}`);

  const unmerge = async (mergeId: number, profileId: number) => {
    try {
      await api(`/api/v1/profiles/${profileId}/unmerge`, { method: 'POST', body: { mergeId } });
      message.success(t('profiles.unmerged'));
      state.reload();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    }
  };

  return (
    <>
      <Space style={{ marginBottom: 16 }}>
        <Link to="/profiles">← {t('profiles.title')}</Link>
      </Space>
      <Loaded state={state} feature={t('profiles.title')}>
        {(p) => (
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Typography.Title level={3} style={{ margin: 0 }} data-testid="profile-title">
              {profileName(p.traits, p.identifiers, { skipAnonymous: true }) ?? t('profiles.anonymous')} <Typography.Text type="secondary">#{p.id}</Typography.Text>
            </Typography.Title>
            {p.redirectedFrom && <Alert type="info" message={t('profiles.redirected', { from: p.redirectedFrom })} />}
            <Row gutter={[16, 16]}>
              <Col xs={24} xl={10}>
                <Card title={t('profiles.summary')} size="small">
                  <Descriptions column={1} size="small">
                    <Descriptions.Item label={t('profiles.id')}>{p.id}</Descriptions.Item>
                    <Descriptions.Item label={t('profiles.firstSeen')}>{format.dateTime(p.firstSeenAt)}</Descriptions.Item>
                    <Descriptions.Item label={t('profiles.lastSeen')}>{format.dateTime(p.lastSeenAt)}</Descriptions.Item>
                    {p.channels && <Descriptions.Item label={t('profiles.channels')}>{p.channels.map((c) => <Tag key={c}>{c}</Tag>)}</Descriptions.Item>}
                  </Descriptions>
                </Card>
                <ProfileExtras profileId={p.id} />
                <ProfileLoyalty profileId={p.id} />
                <Card title={t('profiles.identifiers')} size="small" style={{ marginTop: 16 }}>
                  <Table
                    size="small"
                    rowKey={(i) => `${i.type}:${i.value}`}
                    pagination={false}
                    dataSource={p.identifiers}
                    columns={[
                      { title: t('profiles.type'), dataIndex: 'type', render: (v: string) => <Tag color="blue">{v}</Tag> },
                      { title: t('profiles.value'), dataIndex: 'value' },
                      { title: t('profiles.firstSeen'), dataIndex: 'firstSeenAt', render: (v: string) => format.dateTime(v) },
                    ]}
                  />
                </Card>
                <Card title={t('profiles.traits')} size="small" style={{ marginTop: 16 }}>
                  <Table
                    size="small"
                    rowKey="key"
                    pagination={false}
                    dataSource={Object.entries(p.traits).map(([key, value]) => ({ key, value, at: p.traitTimes?.[key] }))}
                    columns={[
                      { title: t('profiles.trait'), dataIndex: 'key' },
                      { title: t('profiles.value'), dataIndex: 'value', ellipsis: true, render: valueText },
                      { title: t('profiles.setAt'), dataIndex: 'at', width: 120, render: (v?: string) => <span style={{ whiteSpace: 'nowrap' }}>{format.date(v)}</span> },
                    ]}
                  />
                </Card>
                {(p.merges.length > 0 || p.conflicts.length > 0) && (
                  <Card title={t('profiles.merges')} size="small" style={{ marginTop: 16 }}>
                    <Table
                      size="small"
                      rowKey="id"
                      pagination={false}
                      dataSource={p.merges}
                      columns={[
                        { title: t('profiles.mergeKind'), dataIndex: 'kind', render: (k: string) => <Tag>{t(`profiles.${k === 'merge' ? 'merge' : 'unmerge'}`)}</Tag> },
                        { title: t('profiles.otherProfile'), dataIndex: 'otherProfileId', render: (id: number) => <Link to={`/profiles/${id}`}>#{id}</Link> },
                        { title: t('profiles.reason'), dataIndex: 'reason' },
                        { title: t('common.createdAt'), dataIndex: 'createdAt', render: (v: string) => format.dateTime(v) },
                        {
                          title: t('common.actions'),
                          render: (_, m) =>
                            m.undoneAt ? (
                              <Typography.Text type="secondary">{t('profiles.undoneAt')} {format.dateTime(m.undoneAt)}</Typography.Text>
                            ) : m.kind === 'merge' && canWrite ? (
                              <Popconfirm title={t('profiles.unmergeConfirm', { other: m.otherProfileId })} onConfirm={() => unmerge(m.id, p.id)}>
                                <Button size="small" danger>{t('profiles.unmerge')}</Button>
                              </Popconfirm>
                            ) : null,
                        },
                      ]}
                    />
                    {p.conflicts.length > 0 && (
                      <>
                        <Typography.Title level={5} style={{ marginTop: 16 }}>{t('profiles.conflicts')}</Typography.Title>
                        {p.conflicts.map((c, i) => (
                          <Alert key={i} type="warning" style={{ marginBottom: 8 }} message={`${c.identifier ?? ''} ↔ ${c.otherIdentifier ?? ''}: ${c.reason}`} />
                        ))}
                      </>
                    )}
                  </Card>
                )}
              </Col>
              <Col xs={24} xl={14}>
                <Card title={t('profiles.timeline')} size="small">
                  <Timeline profileId={p.id} />
                </Card>
              </Col>
            </Row>
          </Space>
        )}
      </Loaded>
    </>
  );
}
