import { Alert, Descriptions, Empty, Space, Spin, Tag, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { errorText } from '../../components/States';
import { useFormat } from '../../format';
import type { ApiError } from '../../api';

export interface Rendered {
  message: Record<string, unknown>;
  sms?: { encoding: string; characters: number; units: number; segments: number; perSegment: number };
}

/** What the person would receive: the rendered message per channel, SMS length and segments. */
export function PreviewPane({ rendered, error, loading }: { rendered?: Rendered; error?: ApiError; loading: boolean }) {
  const { t } = useTranslation();
  const format = useFormat();
  if (error) {
    return <Alert type={error.code === 'invalid_request' ? 'warning' : 'error'} showIcon message={t('messaging.previewError')} data-testid="preview-error"
      description={error.details.length ? error.details.map((d) => `${d.path ?? ''}: ${d.message}`).join('\n') : errorText(t, error)} />;
  }
  if (!rendered) return loading ? <Spin /> : <Empty description={t('messaging.previewEmpty')} />;
  const m = rendered.message;
  let body;
  switch (m.channel) {
    case 'email':
      body = (
        <>
          <Typography.Text strong data-testid="preview-subject">{String(m.subject ?? '')}</Typography.Text>
          <iframe title={t('messaging.previewTitle')} sandbox="" srcDoc={String(m.html ?? '')} style={{ width: '100%', height: 320, border: '1px solid #f0f0f0', marginTop: 8, background: '#fff' }} />
        </>
      );
      break;
    case 'webhook':
      body = <pre style={{ whiteSpace: 'pre-wrap', margin: 0 }}>{JSON.stringify(m.payload, null, 2)}</pre>;
      break;
    case 'wechat':
      body = (
        <Descriptions size="small" column={1} bordered items={Object.entries((m.data as Record<string, { value: string }>) ?? {}).map(([k, v]) => ({ key: k, label: k, children: v.value }))} />
      );
      break;
    default:
      body = <div style={{ whiteSpace: 'pre-wrap', background: '#f6ffed', border: '1px solid #b7eb8f', borderRadius: 12, padding: '8px 12px', maxWidth: 360 }}>{String(m.text ?? '')}</div>;
  }
  return (
    <Spin spinning={loading} size="small">
      <div data-testid="template-preview">
        {body}
        {rendered.sms && (
          <Space style={{ marginTop: 8 }} data-testid="sms-length">
            <Tag>{t('messaging.smsCharacters', { count: rendered.sms.characters })}</Tag>
            <Tag color={rendered.sms.segments > 1 ? 'orange' : 'green'}>{t('messaging.smsSegments', { count: rendered.sms.segments })}</Tag>
            <Typography.Text type="secondary">{t('messaging.smsPerSegment', { count: format.number(rendered.sms.perSegment) })}</Typography.Text>
          </Space>
        )}
      </div>
    </Spin>
  );
}
