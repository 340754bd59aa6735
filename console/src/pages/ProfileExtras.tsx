import { Card, Descriptions, Space, Tag, Tooltip, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useApi } from '../api';
import { useFormat } from '../format';

interface Lifecycle {
  stage: 'A' | 'I' | 'P' | 'L' | null;
  since: string | null;
  rfm: { recencyDays: number; frequency: number; monetary: number; rScore: number; fScore: number; mScore: number; classLabel: string } | null;
}
interface ProfileTags {
  tags: { tagId: string; tagName: string; value: string; source: string; assignedAt: string }[];
}
interface ProfileSegments {
  data: { segmentId: string; name: string; enteredAt: string }[];
}
const stageColor = { A: 'blue', I: 'cyan', P: 'green', L: 'gold' } as const;

/**
 * Lifecycle stage, RFM, tags and segments of one profile, each from its own module's API. A part whose API is
 * not on the server is left out, so the 360° view grows as modules land.
 */
export function ProfileExtras({ profileId }: { profileId: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const lifecycle = useApi<Lifecycle>(`/api/v1/profiles/${profileId}/lifecycle`);
  const tags = useApi<ProfileTags>(`/api/v1/profiles/${profileId}/tags`);
  const segments = useApi<ProfileSegments>(`/api/v1/profiles/${profileId}/segments`);
  if (!lifecycle.data && !tags.data && !segments.data) return null;

  const l = lifecycle.data;
  return (
    <Card title={t('profiles.lifecycle')} size="small" style={{ marginTop: 16 }} data-testid="profile-extras">
      <Descriptions column={1} size="small">
        {l && (
          <Descriptions.Item label={t('profiles.stage')}>
            {l.stage ? <Tag color={stageColor[l.stage]}>{t(`stages.${l.stage}`)}</Tag> : t('stages.none')}
            {l.since && <Typography.Text type="secondary">{t('profiles.since')} {format.date(l.since)}</Typography.Text>}
          </Descriptions.Item>
        )}
        {l?.rfm && (
          <Descriptions.Item label={t('profiles.rfm')}>
            <Space direction="vertical" size={0}>
              <span>
                <Tag color="purple">{l.rfm.classLabel}</Tag>
                {t('profiles.rfmScores', { r: l.rfm.rScore, f: l.rfm.fScore, m: l.rfm.mScore })}
              </span>
              <Typography.Text type="secondary">
                {t('profiles.recency', { days: format.number(l.rfm.recencyDays) })} · {t('profiles.frequency', { count: format.number(l.rfm.frequency) })} ·{' '}
                {t('profiles.monetary', { amount: format.money(l.rfm.monetary) })}
              </Typography.Text>
            </Space>
          </Descriptions.Item>
        )}
        {tags.data && (
          <Descriptions.Item label={t('profiles.tags')}>
            {tags.data.tags.length === 0 ? (
              <Typography.Text type="secondary">{t('profiles.noTags')}</Typography.Text>
            ) : (
              <Space size={[4, 4]} wrap>
                {tags.data.tags.map((tag) => (
                  <Tooltip key={`${tag.tagId}:${tag.value}`} title={`${tag.source} · ${format.dateTime(tag.assignedAt)}`}>
                    <Tag color="geekblue">{tag.value && tag.value !== 'true' ? `${tag.tagName}: ${tag.value}` : tag.tagName}</Tag>
                  </Tooltip>
                ))}
              </Space>
            )}
          </Descriptions.Item>
        )}
        {segments.data && (
          <Descriptions.Item label={t('profiles.segments')}>
            {segments.data.data.length === 0 ? (
              <Typography.Text type="secondary">{t('profiles.noSegments')}</Typography.Text>
            ) : (
              <Space size={[4, 4]} wrap>
                {segments.data.data.map((s) => (
                  <Tooltip key={s.segmentId} title={t('profiles.enteredAt', { time: format.dateTime(s.enteredAt) })}>
                    <Tag>{s.name}</Tag>
                  </Tooltip>
                ))}
              </Space>
            )}
          </Descriptions.Item>
        )}
      </Descriptions>
    </Card>
  );
}
