import { PlusOutlined } from '@ant-design/icons';
import { Button, Card, Col, Form, Input, Menu, Modal, Popconfirm, Row, Select, Space, Table, Tabs, Tag, Typography } from 'antd';
import type { SorterResult } from 'antd/es/table/interface';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, useApi, type ApiError } from '../api';
import { errorText, Loaded } from '../components/States';
import { useFormat } from '../format';
import { Link, navigate, useLocation } from '../router';
import { useSession } from '../session';
import { OverlapPanel } from './Overlap';
import { useFeedback } from '../feedback';

export interface TagGroup {
  id: string;
  name: string;
  category: string;
  description?: string;
}
export interface TagRow {
  id: string;
  groupId: string;
  name: string;
  description: string | null;
  kind: 'manual' | 'rule';
  rule: unknown;
  ruleValue: string;
  archivedAt: string | null;
  mergedInto: string | null;
  computedAt: string | null;
  size: number;
  updatedAt: string;
}

export const CATEGORIES = ['basic', 'consumption', 'preference', 'social', 'activity', 'custom'] as const;

/** Tags by group (server-paged, searched, sorted), with rename / merge / archive; and the overlap matrix. */
export function TagsPage() {
  const { t } = useTranslation();
  const { search } = useLocation();
  const tab = search.get('tab') === 'overlap' ? 'overlap' : 'tags';
  return (
    <>
      <Typography.Title level={3}>{t('tagsPage.title')}</Typography.Title>
      <Tabs
        activeKey={tab}
        onChange={(key) => navigate(key === 'overlap' ? '/tags?tab=overlap' : '/tags', { replace: true })}
        items={[
          { key: 'tags', label: t('tagsPage.tagsTab'), children: <TagsTab /> },
          { key: 'overlap', label: t('overlap.title'), children: <OverlapPanel /> },
        ]}
      />
    </>
  );
}

const PAGE = 20;
type Sort = 'createdAt' | 'name' | 'size';

function TagsTab() {
  const { t } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const groups = useApi<{ data: TagGroup[] }>('/api/v1/tag-groups');
  const [groupId, setGroupId] = useState<string>();
  const [q, setQ] = useState('');
  const [kind, setKind] = useState<string>();
  const [includeArchived, setIncludeArchived] = useState(false);
  const [sort, setSort] = useState<{ sort?: Sort; order?: 'asc' | 'desc' }>({});
  const [page, setPage] = useState(1);
  const tags = useApi<{ data: TagRow[]; total: number }>('/api/v1/tags', { groupId, q, kind, includeArchived: includeArchived ? 'true' : undefined, ...sort, limit: PAGE, offset: (page - 1) * PAGE });
  const [newGroup, setNewGroup] = useState(false);
  const [renaming, setRenaming] = useState<TagRow>();
  const [merging, setMerging] = useState<TagRow>();
  const groupName = new Map((groups.data?.data ?? []).map((g) => [g.id, g.name]));

  const act = async (work: () => Promise<unknown>, done: string) => {
    try {
      await work();
      message.success(t(done));
      tags.reload();
      return true;
    } catch (err) {
      message.error(errorText(t, err as ApiError));
      return false;
    }
  };
  const onSort = (sorter: SorterResult<TagRow> | SorterResult<TagRow>[]) => {
    const s = Array.isArray(sorter) ? sorter[0] : sorter;
    setSort(s?.order ? { sort: s.columnKey as Sort, order: s.order === 'ascend' ? 'asc' : 'desc' } : {});
    setPage(1);
  };
  const order = (key: Sort) => (sort.sort === key ? (sort.order === 'asc' ? 'ascend' : 'descend') : null);
  const filter = (apply: () => void) => {
    apply();
    setPage(1);
  };

  return (
    <Row gutter={16}>
      <Col flex="0 0 240px">
        <Card size="small" title={t('tagsPage.groups')} extra={canWrite && <Button size="small" type="link" icon={<PlusOutlined />} onClick={() => setNewGroup(true)}>{t('tagsPage.newGroup')}</Button>}>
          <Loaded state={groups} feature={t('tagsPage.groups')}>
            {({ data }) => (
              <Menu
                mode="inline"
                style={{ borderInlineEnd: 'none' }}
                selectedKeys={[groupId ?? 'all']}
                onClick={({ key }) => filter(() => setGroupId(key === 'all' ? undefined : key))}
                items={[
                  { key: 'all', label: t('tagsPage.allGroups') },
                  ...data.map((g) => ({ key: g.id, label: <span>{g.name} <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t(`tagsPage.categories.${g.category}`, { defaultValue: g.category })}</Typography.Text></span> })),
                ]}
              />
            )}
          </Loaded>
        </Card>
      </Col>
      <Col flex="1 1 600px" style={{ minWidth: 0 }}>
        <Card>
          <Space style={{ marginBottom: 16, width: '100%', justifyContent: 'space-between' }} wrap>
            <Space wrap>
              <Input.Search aria-label={t('tagsPage.search')} placeholder={t('tagsPage.search')} allowClear onSearch={(v) => filter(() => setQ(v.trim()))} style={{ width: 240 }} />
              <Select aria-label={t('tagsPage.kind')} allowClear placeholder={t('tagsPage.allKinds')} value={kind} onChange={(v) => filter(() => setKind(v))} style={{ width: 140 }}
                options={[{ value: 'manual', label: t('tagsPage.kindManual') }, { value: 'rule', label: t('tagsPage.kindRule') }]} />
              <Select aria-label={t('tagsPage.status')} value={includeArchived ? 'all' : 'live'} onChange={(v) => filter(() => setIncludeArchived(v === 'all'))} style={{ width: 160 }}
                options={[{ value: 'live', label: t('tagsPage.liveOnly') }, { value: 'all', label: t('tagsPage.withArchived') }]} />
            </Space>
            {canWrite && <Button type="primary" icon={<PlusOutlined />} onClick={() => navigate(`/tags/new${groupId ? `?group=${encodeURIComponent(groupId)}` : ''}`)}>{t('tagsPage.newTag')}</Button>}
          </Space>
          <Loaded state={tags} feature={t('tagsPage.title')}>
            {(body) => (
              <Table<TagRow>
                data-testid="tags-table"
                rowKey="id"
                loading={tags.loading}
                dataSource={body.data}
                onChange={(_p, _f, sorter) => onSort(sorter)}
                pagination={{ current: page, pageSize: PAGE, total: body.total, showSizeChanger: false, onChange: setPage, showTotal: (total) => t('resources.total', { count: total }) }}
                columns={[
                  { key: 'name', title: t('common.name'), dataIndex: 'name', sorter: true, sortOrder: order('name'), render: (v: string, tag) => <Link to={`/tags/${tag.id}`}>{v}</Link> },
                  { key: 'group', title: t('tagsPage.group'), dataIndex: 'groupId', render: (v: string) => groupName.get(v) ?? v },
                  {
                    key: 'kind', title: t('tagsPage.kind'), dataIndex: 'kind',
                    render: (v: string, tag) => (
                      <Space size={4}>
                        <Tag color={v === 'rule' ? 'blue' : 'green'}>{t(v === 'rule' ? 'tagsPage.kindRule' : 'tagsPage.kindManual')}</Tag>
                        {tag.archivedAt && <Tag>{t('tagsPage.archived')}</Tag>}
                        {tag.mergedInto && <Tag>{t('tagsPage.merged')}</Tag>}
                      </Space>
                    ),
                  },
                  { key: 'size', title: t('tagsPage.size'), dataIndex: 'size', sorter: true, sortOrder: order('size'), align: 'right', render: (v: number) => format.number(v) },
                  { key: 'updatedAt', title: t('tagsPage.updatedAt'), dataIndex: 'updatedAt', render: (v: string) => format.dateTime(v) },
                  {
                    key: 'actions', title: t('common.actions'),
                    render: (_, tag) => (canWrite && !tag.archivedAt && !tag.mergedInto ? (
                      <Space size={4}>
                        <Button size="small" onClick={() => setRenaming(tag)}>{t('tagsPage.rename')}</Button>
                        <Button size="small" onClick={() => setMerging(tag)}>{t('tagsPage.merge')}</Button>
                        <Popconfirm title={t('tagsPage.archiveConfirm', { name: tag.name })} okText={t('tagsPage.archive')} cancelText={t('common.cancel')}
                          onConfirm={() => act(() => api(`/api/v1/tags/${tag.id}/archive`, { method: 'POST' }), 'tagsPage.archivedOk')}>
                          <Button size="small" danger>{t('tagsPage.archive')}</Button>
                        </Popconfirm>
                      </Space>
                    ) : null),
                  },
                ]}
              />
            )}
          </Loaded>
        </Card>
      </Col>
      <NewGroupModal open={newGroup} onClose={() => setNewGroup(false)} onCreated={() => groups.reload()} />
      <Modal open={renaming !== undefined} title={t('tagsPage.rename')} onCancel={() => setRenaming(undefined)} footer={null} destroyOnHidden>
        {renaming && (
          <Form layout="vertical" initialValues={{ name: renaming.name }}
            onFinish={async (v: { name: string }) => (await act(() => api(`/api/v1/tags/${renaming.id}`, { method: 'PATCH', body: { name: v.name } }), 'tagsPage.renamed')) && setRenaming(undefined)}>
            <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('tagsPage.nameRequired') }]}><Input maxLength={100} /></Form.Item>
            <Button type="primary" htmlType="submit">{t('common.save')}</Button>
          </Form>
        )}
      </Modal>
      <MergeModal tag={merging} onClose={() => setMerging(undefined)} onMerge={(target) => act(() => api(`/api/v1/tags/${merging!.id}/merge`, { method: 'POST', body: { targetId: target } }), 'tagsPage.mergedOk')} />
    </Row>
  );
}

function NewGroupModal({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: () => void }) {
  const { t } = useTranslation();
  const { message } = useFeedback();
  const [form] = Form.useForm<{ name: string; category: string; description?: string }>();
  const create = async (values: { name: string; category: string; description?: string }) => {
    try {
      await api('/api/v1/tag-groups', { method: 'POST', body: values });
      form.resetFields();
      onClose();
      onCreated();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    }
  };
  return (
    <Modal open={open} title={t('tagsPage.newGroup')} onCancel={onClose} onOk={() => form.submit()} okText={t('common.create')} cancelText={t('common.cancel')} destroyOnHidden>
      <Form form={form} layout="vertical" onFinish={create} initialValues={{ category: 'custom' }}>
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('tagsPage.nameRequired') }]}><Input maxLength={100} /></Form.Item>
        <Form.Item name="category" label={t('tagsPage.category')}>
          <Select options={CATEGORIES.map((c) => ({ value: c, label: t(`tagsPage.categories.${c}`) }))} />
        </Form.Item>
        <Form.Item name="description" label={t('tagsPage.description')}><Input maxLength={1000} /></Form.Item>
      </Form>
    </Modal>
  );
}

/** Merge into another manual tag (a rule tag decides its own members, so it cannot be a target). */
function MergeModal({ tag, onClose, onMerge }: { tag?: TagRow; onClose: () => void; onMerge: (targetId: string) => Promise<boolean> }) {
  const { t } = useTranslation();
  const targets = useApi<{ data: TagRow[] }>(tag ? '/api/v1/tags' : null, { kind: 'manual', limit: 1000, sort: 'name' });
  const [target, setTarget] = useState<string>();
  return (
    <Modal open={tag !== undefined} title={t('tagsPage.mergeTitle', { name: tag?.name ?? '' })} onCancel={onClose} destroyOnHidden okButtonProps={{ disabled: !target }} okText={t('tagsPage.merge')} cancelText={t('common.cancel')}
      onOk={async () => target && (await onMerge(target)) && onClose()}>
      <Typography.Paragraph type="secondary">{t('tagsPage.mergeHint')}</Typography.Paragraph>
      <Select aria-label={t('tagsPage.mergeTarget')} showSearch optionFilterProp="label" style={{ width: '100%' }} value={target} onChange={setTarget} placeholder={t('tagsPage.mergeTarget')}
        options={(targets.data?.data ?? []).filter((x) => x.id !== tag?.id).map((x) => ({ value: x.id, label: x.name }))} />
    </Modal>
  );
}
