import { Alert, Button, Card, Form, Input, Radio, Select, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, useApi } from '../api';
import { editableRule, emptyRule, hasConditions, RuleEditor, RuleOptionsProvider, type Rule } from '../components/rules';
import { errorText, Loaded } from '../components/States';
import { useFormat } from '../format';
import type { PageProps } from '../routes';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';
import { TagManualCard } from './TagManual';
import type { TagGroup, TagRow } from './Tags';
import { useFeedback } from '../feedback';

/** A new tag (manual or rule), or one tag: edit, its rule with live estimate, manual tagging, history. */
export function TagEditPage({ params }: PageProps) {
  const { t } = useTranslation();
  const id = params.id;
  const state = useApi<TagRow>(id ? `/api/v1/tags/${encodeURIComponent(id)}` : null);
  const groups = useApi<{ data: TagGroup[] }>('/api/v1/tag-groups');
  const body = (tag?: TagRow) => (
    <Loaded state={groups} feature={t('tagsPage.groups')}>
      {({ data }) => <TagForm key={tag?.id ?? 'new'} tag={tag} groups={data} onSaved={state.reload} />}
    </Loaded>
  );
  if (!id) return body();
  return (
    <Loaded state={state} feature={t('tagsPage.title')}>
      {(tag) => body(tag)}
    </Loaded>
  );
}

interface Values {
  name: string;
  groupId: string;
  description?: string;
  kind: 'manual' | 'rule';
  ruleValue?: string;
}

function TagForm({ tag, groups, onSaved }: { tag?: TagRow; groups: TagGroup[]; onSaved: () => void }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const { search } = useLocation();
  const [form] = Form.useForm<Values>();
  const kind = Form.useWatch('kind', form) ?? tag?.kind ?? 'manual';
  const [rule, setRule] = useState<Rule>(() => (tag?.rule ? editableRule(tag.rule) : emptyRule()));
  const [saveErrors, setSaveErrors] = useState<{ path?: string; message: string }[]>();
  const [saving, setSaving] = useState(false);
  const [changes, setChanges] = useState(0);
  useEffect(() => setSaveErrors(undefined), [rule]);
  const live = !tag || (!tag.archivedAt && !tag.mergedInto);
  const writable = canWrite && live;

  const save = async (values: Values) => {
    if (values.kind === 'rule' && !hasConditions(rule)) {
      message.warning(t('rules.needCondition'));
      return;
    }
    setSaving(true);
    try {
      let saved: TagRow;
      if (tag) {
        const ruleChanged = tag.kind === 'rule' && JSON.stringify(rule) !== JSON.stringify(editableRule(tag.rule));
        saved = await api<TagRow>(`/api/v1/tags/${encodeURIComponent(tag.id)}`, {
          method: 'PATCH',
          body: {
            name: values.name, groupId: values.groupId, description: values.description ?? '',
            ...(ruleChanged ? { rule } : {}),
            ...(tag.kind === 'rule' && (values.ruleValue ?? '') !== tag.ruleValue ? { ruleValue: values.ruleValue ?? '' } : {}),
          },
        });
        onSaved();
      } else {
        saved = await api<TagRow>('/api/v1/tags', {
          method: 'POST',
          body: { name: values.name, groupId: values.groupId, description: values.description || undefined, ...(values.kind === 'rule' ? { rule, ruleValue: values.ruleValue || undefined } : {}) },
        });
        navigate(`/tags/${saved.id}`, { replace: true });
      }
      message.success(t('tagsPage.saved', { size: format.number(saved.size) }));
    } catch (err) {
      const error = err as ApiError;
      const ruleErrors = error instanceof ApiError ? error.details.filter((d) => d.path?.includes('rule.')) : [];
      if (ruleErrors.length) setSaveErrors(ruleErrors);
      message.error(errorText(t, error));
    } finally {
      setSaving(false);
    }
  };

  return (
    <RuleOptionsProvider>
      <Space style={{ width: '100%', justifyContent: 'space-between' }} wrap>
        <Typography.Title level={3} data-testid="tag-title">{tag ? tag.name : t('tagsPage.newTag')}</Typography.Title>
        {tag && (
          <Space>
            <Tag color={tag.kind === 'rule' ? 'blue' : 'green'}>{t(tag.kind === 'rule' ? 'tagsPage.kindRule' : 'tagsPage.kindManual')}</Tag>
            <Typography.Text>{t('tagsPage.sizeValue', { size: format.number(tag.size) })}</Typography.Text>
          </Space>
        )}
      </Space>
      {tag && !live && <Alert type="warning" showIcon style={{ marginBottom: 16 }} message={tag.mergedInto ? t('tagsPage.isMerged') : t('tagsPage.isArchived')}
        action={tag.mergedInto ? <Link to={`/tags/${tag.mergedInto}`}>{t('tagsPage.openTarget')}</Link> : undefined} />}
      {!canWrite && <Alert type="info" showIcon message={t('tagsPage.readOnly')} style={{ marginBottom: 16 }} />}
      <Space direction="vertical" size="middle" style={{ width: '100%' }}>
        <Card>
          <Form form={form} layout="vertical" onFinish={save}
            initialValues={{ name: tag?.name ?? '', groupId: tag?.groupId ?? search.get('group') ?? groups[0]?.id, description: tag?.description ?? '', kind: tag?.kind ?? 'manual', ruleValue: tag?.ruleValue ?? '' }}>
            <Space wrap align="start" size="large">
              <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('tagsPage.nameRequired') }]}>
                <Input maxLength={100} style={{ width: 260 }} disabled={!writable} />
              </Form.Item>
              <Form.Item name="groupId" label={t('tagsPage.group')} rules={[{ required: true, message: t('tagsPage.groupRequired') }]}>
                <Select style={{ width: 220 }} disabled={!writable} options={groups.map((g) => ({ value: g.id, label: g.name }))} notFoundContent={t('tagsPage.noGroups')} />
              </Form.Item>
              <Form.Item name="description" label={t('tagsPage.description')}>
                <Input maxLength={1000} style={{ width: 360 }} disabled={!writable} />
              </Form.Item>
            </Space>
            <Space wrap align="start" size="large">
              <Form.Item name="kind" label={t('tagsPage.kind')}>
                <Radio.Group disabled={!!tag || !writable} options={[{ value: 'manual', label: t('tagsPage.kindManualLong') }, { value: 'rule', label: t('tagsPage.kindRuleLong') }]} />
              </Form.Item>
              {kind === 'rule' && (
                <Form.Item name="ruleValue" label={t('tagsPage.ruleValue')} tooltip={t('tagsPage.ruleValueHint')}>
                  <Input maxLength={200} style={{ width: 200 }} disabled={!writable} />
                </Form.Item>
              )}
            </Space>
            {kind === 'rule' && (
              <Form.Item label={t('rules.builder')} required>
                <RuleEditor value={rule} onChange={setRule} readOnly={!live} saveErrors={saveErrors} />
              </Form.Item>
            )}
            <div>
              <Space>
                {writable && <Button type="primary" htmlType="submit" loading={saving} data-testid="save-tag">{t('common.save')}</Button>}
                <Button onClick={() => navigate('/tags')}>{t('common.back')}</Button>
              </Space>
            </div>
          </Form>
        </Card>
        {tag && tag.kind === 'manual' && writable && <TagManualCard tag={tag} onChanged={() => { onSaved(); setChanges((n) => n + 1); }} />}
        {tag && <HistoryCard tagId={tag.id} version={changes} />}
      </Space>
    </RuleOptionsProvider>
  );
}

interface HistoryEntry {
  tagName: string;
  profileId: number;
  action: 'apply' | 'remove';
  value: string;
  cause: string;
  actor: string | null;
  at: string;
}

/** The tag's history, read again after each change made on this page (`version`). */
function HistoryCard({ tagId, version }: { tagId: string; version: number }) {
  const { t } = useTranslation();
  const format = useFormat();
  const state = useApi<{ data: HistoryEntry[] }>(`/api/v1/tags/${encodeURIComponent(tagId)}/history`, { limit: 100 });
  const { reload } = state;
  useEffect(() => {
    if (version > 0) reload();
  }, [version, reload]);
  return (
    <Card title={t('tagsPage.history')}>
      <Loaded state={state} feature={t('tagsPage.history')}>
        {({ data }) => (
          <Table<HistoryEntry>
            size="small"
            rowKey={(h, i) => `${h.profileId}:${h.at}:${h.action}:${i}`}
            dataSource={data}
            pagination={{ pageSize: 10, hideOnSinglePage: true }}
            columns={[
              { title: t('tagsPage.when'), dataIndex: 'at', render: (v: string) => format.dateTime(v) },
              { title: t('profiles.id'), dataIndex: 'profileId', render: (v: number) => <Link to={`/profiles/${v}`}>{v}</Link> },
              { title: t('tagsPage.action'), dataIndex: 'action', render: (v: string) => <Tag color={v === 'apply' ? 'green' : 'red'}>{t(v === 'apply' ? 'tagsPage.applied' : 'tagsPage.removed')}</Tag> },
              { title: t('tagsPage.value'), dataIndex: 'value', render: (v: string) => v || '—' },
              { title: t('tagsPage.cause'), dataIndex: 'cause', render: (v: string) => t(`tagsPage.causes.${v}`, { defaultValue: v }) },
              { title: t('tagsPage.actor'), dataIndex: 'actor', render: (v: string | null) => v ?? '—' },
            ]}
          />
        )}
      </Loaded>
    </Card>
  );
}
