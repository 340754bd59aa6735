import { InboxOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Col, Form, Input, Row, Select, Space, Typography, Upload } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type ApiError } from '../api';
import { readTextFile, TextFileError, type SniffedEncoding } from '../textFile';
import { errorText } from '../components/States';
import { useFormat } from '../format';
import type { TagRow } from './Tags';
import { useFeedback } from '../feedback';

const LOOKUP_TYPES = ['profile_id', 'phone', 'email', 'member_no', 'userId', 'wechat_unionid', 'wechat_openid', 'wecom_external_userid'];
const MAX_CSV = 20_000_000;

interface ImportResult {
  applied: number;
  removed: number;
  unmatched: { line: number; key: string }[];
}

/** Manual tagging: apply or remove the tag on one profile (by id or any identifier), or in bulk from a CSV. */
export function TagManualCard({ tag, onChanged }: { tag: TagRow; onChanged: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const [form] = Form.useForm<{ by: string; key: string; value?: string }>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ImportResult & { encoding: SniffedEncoding }>();

  const profileId = async (by: string, key: string): Promise<number> => {
    if (by === 'profile_id') return Number(key);
    const found = await api<{ id: number }>('/api/v1/profiles/lookup', { query: { type: by, value: key } });
    return found.id;
  };
  const change = async (action: 'apply' | 'remove') => {
    const values = await form.validateFields().catch(() => undefined);
    if (!values) return;
    setBusy(true);
    try {
      const id = await profileId(values.by, values.key.trim());
      if (action === 'apply') {
        const res = await api<{ applied: number }>(`/api/v1/tags/${tag.id}/apply`, { method: 'POST', body: { profileIds: [id], value: values.value || undefined } });
        message.success(res.applied ? t('tagsPage.appliedTo', { id }) : t('tagsPage.alreadyHas', { id }));
      } else {
        const res = await api<{ removed: number }>(`/api/v1/tags/${tag.id}/remove`, { method: 'POST', body: { profileIds: [id] } });
        message.success(res.removed ? t('tagsPage.removedFrom', { id }) : t('tagsPage.didNotHave', { id }));
      }
      onChanged();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    } finally {
      setBusy(false);
    }
  };
  const upload = async (file: File) => {
    if (file.size > MAX_CSV) {
      message.error(t('tagsPage.csvTooLarge'));
      return;
    }
    setBusy(true);
    setResult(undefined);
    try {
      const { text: csv, encoding } = await readTextFile(file);
      const res = await api<ImportResult>(`/api/v1/tags/${tag.id}/import`, { method: 'POST', body: { csv } });
      setResult({ ...res, encoding });
      onChanged();
    } catch (err) {
      // A file whose encoding is not decided is refused here, as the importer refuses it, rather than sent garbled.
      message.error(err instanceof TextFileError ? t(`textFile.${err.reason}`) : errorText(t, err as ApiError));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Card title={t('tagsPage.manualTitle')}>
      <Row gutter={24}>
        <Col flex="1 1 420px">
          <Typography.Paragraph strong>{t('tagsPage.oneProfile')}</Typography.Paragraph>
          <Form form={form} layout="vertical" initialValues={{ by: 'profile_id' }}>
            <Space align="start" wrap>
              <Form.Item name="by" label={t('tagsPage.findBy')}>
                <Select style={{ width: 180 }} options={LOOKUP_TYPES.map((v) => ({ value: v, label: v === 'profile_id' ? t('profiles.id') : v }))} />
              </Form.Item>
              <Form.Item name="key" label={t('tagsPage.profileKey')} rules={[{ required: true, whitespace: true, message: t('tagsPage.profileKeyRequired') }]}>
                <Input style={{ width: 200 }} />
              </Form.Item>
              <Form.Item name="value" label={t('tagsPage.value')}>
                <Input style={{ width: 140 }} maxLength={200} placeholder={t('tagsPage.valueOptional')} />
              </Form.Item>
            </Space>
            <Space>
              <Button type="primary" loading={busy} onClick={() => change('apply')} data-testid="apply-tag">{t('tagsPage.apply')}</Button>
              <Button loading={busy} onClick={() => change('remove')}>{t('tagsPage.remove')}</Button>
            </Space>
          </Form>
        </Col>
        <Col flex="1 1 360px">
          <Typography.Paragraph strong>{t('tagsPage.csvTitle')}</Typography.Paragraph>
          <Upload.Dragger accept=".csv,text/csv" showUploadList={false} disabled={busy} beforeUpload={(file) => { void upload(file); return false; }} data-testid="tag-csv">
            <p className="ant-upload-drag-icon"><InboxOutlined /></p>
            <p className="ant-upload-text">{t('tagsPage.csvDrop')}</p>
            <p className="ant-upload-hint">{t('tagsPage.csvHint')}</p>
          </Upload.Dragger>
          {result && (
            <Alert
              style={{ marginTop: 12 }}
              type={result.unmatched.length ? 'warning' : 'success'}
              showIcon
              data-testid="csv-result"
              message={t('tagsPage.csvResult', { applied: format.number(result.applied), removed: format.number(result.removed), unmatched: format.number(result.unmatched.length) })}
              description={
                <>
                  <div data-testid="csv-encoding">{t('textFile.readAs', { encoding: result.encoding.toUpperCase() })}</div>
                  {result.unmatched.length > 0 && <div>{t('tagsPage.csvUnmatched', { lines: result.unmatched.slice(0, 10).map((u) => `${u.line} (${u.key})`).join(', ') })}</div>}
                </>
              }
            />
          )}
        </Col>
      </Row>
    </Card>
  );
}
