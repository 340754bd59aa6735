import { Alert, Button, Card, Form, Input, Space, Spin, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, useApi } from '../api';
import { editableRule, emptyRule, hasConditions, RuleEditor, RuleOptionsProvider, type Rule } from '../components/rules';
import { errorText, Loaded } from '../components/States';
import type { PageProps } from '../routes';
import { navigate } from '../router';
import { useSession } from '../session';
import type { Segment } from './Segments';
import { useFeedback } from '../feedback';

/** Create a rule segment, or change one's name, description and rule, with the builder and its live estimate. */
export function SegmentEditPage({ params }: PageProps) {
  const { t } = useTranslation();
  const id = params.id;
  const state = useApi<Segment>(id ? `/api/v1/segments/${encodeURIComponent(id)}` : null);
  if (!id) return <SegmentForm />;
  return (
    <Loaded state={state} feature={t('segmentsPage.title')}>
      {(segment) => <SegmentForm segment={segment} />}
    </Loaded>
  );
}

interface Values {
  name: string;
  description?: string;
}

function SegmentForm({ segment }: { segment?: Segment }) {
  const { t } = useTranslation();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const [form] = Form.useForm<Values>();
  const [rule, setRule] = useState<Rule>(() => (segment ? editableRule(segment.rule) : emptyRule()));
  const [saveErrors, setSaveErrors] = useState<{ path?: string; message: string }[]>();
  const [saving, setSaving] = useState(false);
  useEffect(() => setSaveErrors(undefined), [rule]);

  const save = async (values: Values) => {
    if (!hasConditions(rule)) {
      message.warning(t('rules.needCondition'));
      return;
    }
    setSaving(true);
    try {
      const body = { name: values.name, description: values.description ?? '', rule };
      const saved = segment
        ? await api<Segment>(`/api/v1/segments/${encodeURIComponent(segment.id)}`, { method: 'PATCH', body })
        : await api<Segment>('/api/v1/segments', { method: 'POST', body });
      message.success(t('segmentsPage.saved', { size: saved.size }));
      navigate(`/segments/${saved.id}`);
    } catch (err) {
      const error = err as ApiError;
      const ruleErrors = error instanceof ApiError ? error.details.filter((d) => d.path?.includes('rule')) : [];
      if (ruleErrors.length) setSaveErrors(ruleErrors);
      message.error(errorText(t, error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <RuleOptionsProvider>
      <Typography.Title level={3}>{segment ? t('segmentsPage.editTitle', { name: segment.name }) : t('segmentsPage.new')}</Typography.Title>
      {!canWrite && <Alert type="info" showIcon message={t('segmentsPage.readOnly')} style={{ marginBottom: 16 }} />}
      <Card>
        <Form form={form} layout="vertical" onFinish={save} initialValues={{ name: segment?.name ?? '', description: segment?.description ?? '' }}>
          <Space wrap align="start" size="large">
            <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('segmentsPage.nameRequired') }]}>
              <Input maxLength={200} style={{ width: 320 }} />
            </Form.Item>
            <Form.Item name="description" label={t('segmentsPage.description')}>
              <Input maxLength={2000} style={{ width: 420 }} />
            </Form.Item>
          </Space>
          <Form.Item label={t('rules.builder')} required>
            <RuleEditor value={rule} onChange={setRule} readOnly={false} saveErrors={saveErrors} />
          </Form.Item>
          <Space>
            {canWrite && <Button type="primary" htmlType="submit" loading={saving} data-testid="save-segment">{t('common.save')}</Button>}
            <Button onClick={() => navigate(segment ? `/segments/${segment.id}` : '/segments')}>{t('common.cancel')}</Button>
            {saving && <Spin size="small" />}
          </Space>
        </Form>
      </Card>
    </RuleOptionsProvider>
  );
}
