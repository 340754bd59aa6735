import { UploadOutlined } from '@ant-design/icons';
import { Button, Form, Input, Modal, Typography, Upload } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, type ApiError } from '../api';
import { readTextFile, TextFileError } from '../textFile';
import { errorText } from '../components/States';
import { useFormat } from '../format';
import { navigate } from '../router';
import type { Segment } from './Segments';
import { useFeedback } from '../feedback';

const MAX_CSV = 20_000_000;

/**
 * A static segment: its members fixed now, from an uploaded CSV (a profile_id or identifier-type column), or as a
 * snapshot of another segment's current members (`snapshotOf`).
 */
export function StaticSegmentModal({ open, onClose, snapshotOf }: { open: boolean; onClose: () => void; snapshotOf?: Segment }) {
  const { t } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const [form] = Form.useForm<{ name: string; description?: string }>();
  const [file, setFile] = useState<File>();
  const [busy, setBusy] = useState(false);

  const create = async (values: { name: string; description?: string }) => {
    if (!snapshotOf && !file) {
      message.warning(t('segmentsPage.csvRequired'));
      return;
    }
    if (file && file.size > MAX_CSV) {
      message.error(t('tagsPage.csvTooLarge'));
      return;
    }
    setBusy(true);
    try {
      const read = snapshotOf ? undefined : await readTextFile(file!);
      const source = read ? { csv: read.text } : { snapshotOf: snapshotOf!.id };
      const created = await api<Segment & { unmatched: number }>('/api/v1/segments/static', { method: 'POST', body: { name: values.name, description: values.description || undefined, ...source } });
      const done = t('segmentsPage.staticCreated', { size: format.number(created.size), unmatched: format.number(created.unmatched) });
      message.success(read ? `${done} · ${t('textFile.readAs', { encoding: read.encoding.toUpperCase() })}` : done);
      onClose();
      navigate(`/segments/${created.id}`);
    } catch (err) {
      message.error(err instanceof TextFileError ? t(`textFile.${err.reason}`) : errorText(t, err as ApiError));
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal open={open} title={snapshotOf ? t('segmentsPage.snapshot') : t('segmentsPage.newStatic')} onCancel={onClose} onOk={() => form.submit()} okText={t('common.create')} cancelText={t('common.cancel')}
      confirmLoading={busy} destroyOnHidden afterClose={() => setFile(undefined)}>
      <Form form={form} layout="vertical" onFinish={create} initialValues={{ name: snapshotOf ? t('segmentsPage.snapshotName', { name: snapshotOf.name, date: format.date(new Date()) }) : '' }}>
        <Form.Item name="name" label={t('common.name')} rules={[{ required: true, whitespace: true, message: t('segmentsPage.nameRequired') }]}><Input maxLength={200} /></Form.Item>
        <Form.Item name="description" label={t('segmentsPage.description')}><Input maxLength={2000} /></Form.Item>
        {snapshotOf ? (
          <Typography.Paragraph type="secondary">{t('segmentsPage.snapshotHint', { size: format.number(snapshotOf.size) })}</Typography.Paragraph>
        ) : (
          <Form.Item label={t('segmentsPage.csvFile')} extra={t('segmentsPage.csvHint')} required>
            <Upload accept=".csv,text/csv" maxCount={1} beforeUpload={(f) => { setFile(f); return false; }} onRemove={() => setFile(undefined)} fileList={file ? [{ uid: 'csv', name: file.name, status: 'done' }] : []}>
              <Button icon={<UploadOutlined />}>{t('segmentsPage.chooseCsv')}</Button>
            </Upload>
          </Form.Item>
        )}
      </Form>
    </Modal>
  );
}
