import { Alert, Button, Card, Checkbox, Progress, Radio, Select, Space, Statistic, Table, Tag, Tooltip, Typography, Upload } from 'antd';
import { DownloadOutlined, InboxOutlined, UploadOutlined } from '@ant-design/icons';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, api, useApi } from '../api';
import { errorText } from '../components/States';
import { useFormat } from '../format';
import { useSession } from '../session';
import { useFeedback } from '../feedback';

type Kind = 'members' | 'orders' | 'refunds';
/** What the server reads the file as: `auto` sniffs (byte-order mark, else UTF-8, else GB18030). */
type Encoding = 'auto' | 'utf-8' | 'gb18030';
const ENCODINGS: Encoding[] = ['auto', 'utf-8', 'gb18030'];

interface ImportJob {
  id: string;
  kind: Kind;
  format: 'csv' | 'jsonl';
  fileName: string;
  status: 'running' | 'done' | 'failed';
  rows: number;
  rowsTotal: number;
  imported: number;
  unchanged: number;
  rejected: number;
  /** Of the imported: rows stored with an identity conflict (listed by GET …/conflicts). */
  conflicts: number;
  bytesRead: number;
  totalBytes: number;
  encoding: string | null;
  dryRun: boolean;
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

const POLL_MS = 1000;
const templateUrl = (kind: string, language: string) => `/api/v1/imports/templates/${kind}?lang=${language.startsWith('zh') ? 'zh-CN' : 'en'}`;
const rejectsUrl = (id: string) => `/api/v1/imports/${encodeURIComponent(id)}/rejects`;
const conflictsUrl = (id: string) => `/api/v1/imports/${encodeURIComponent(id)}/conflicts`;

/** Uploads the file itself as the body (XHR, for upload progress); the server answers with the started import. */
function uploadFile(kind: Kind, encoding: Encoding, dryRun: boolean, file: File, onProgress: (percent: number) => void): Promise<ImportJob> {
  const jsonl = /\.(jsonl|ndjson|json)$/i.test(file.name);
  const url = `/api/v1/imports?${new URLSearchParams({ kind, encoding, dryRun: String(dryRun), fileName: file.name, format: jsonl ? 'jsonl' : 'csv' })}`;
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.withCredentials = true;
    xhr.setRequestHeader('content-type', jsonl ? 'application/x-ndjson' : 'text/csv');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(Math.round((e.loaded / e.total) * 100));
    xhr.onerror = () => reject(new ApiError(0, 'network', 'upload failed'));
    xhr.onload = () => {
      let json: { error?: { code: string; message: string } } = {};
      try {
        json = JSON.parse(xhr.responseText) as typeof json;
      } catch {
        // not JSON: reported by status below
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(json as unknown as ImportJob);
      else reject(new ApiError(xhr.status, json.error?.code ?? 'unknown', json.error?.message ?? xhr.statusText));
    };
    xhr.send(file);
  });
}

/** Data → Import: upload members or orders, follow the import, read its summary and download the rejected rows. */
export function ImportPage() {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const [kind, setKind] = useState<Kind>('members');
  const [encoding, setEncoding] = useState<Encoding>('auto');
  const [dryRun, setDryRun] = useState(false);
  const [file, setFile] = useState<File>();
  const [uploading, setUploading] = useState<number>();
  const [job, setJob] = useState<ImportJob>();
  const recent = useApi<{ data: ImportJob[] }>(canWrite ? '/api/v1/imports' : null);
  const reloadRecent = recent.reload;

  // Poll the running import until it ends.
  useEffect(() => {
    if (!job || job.status !== 'running') return;
    const timer = setTimeout(() => {
      api<ImportJob>(`/api/v1/imports/${encodeURIComponent(job.id)}`).then(
        (next) => {
          setJob(next);
          if (next.status !== 'running') reloadRecent();
        },
        (err: ApiError) => message.error(errorText(t, err)),
      );
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [job, reloadRecent, message, t]);

  if (!canWrite) {
    return (
      <>
        <Typography.Title level={3}>{t('imports.title')}</Typography.Title>
        <Alert type="info" showIcon message={t('imports.operatorsOnly')} />
      </>
    );
  }

  const start = async () => {
    if (!file) return message.warning(t('imports.needFile'));
    setUploading(0);
    try {
      const started = await uploadFile(kind, encoding, dryRun, file, setUploading);
      setJob(started);
      setFile(undefined);
      recent.reload();
    } catch (err) {
      message.error(errorText(t, err as ApiError));
    } finally {
      setUploading(undefined);
    }
  };

  const statusTag = (j: ImportJob) => (
    <Space size={4}>
      {j.dryRun && <Tag color="purple">{t('imports.dryRunTag')}</Tag>}
      <Tag color={j.status === 'done' ? 'green' : j.status === 'failed' ? 'red' : 'blue'} data-testid={`import-status-${j.id}`}>
        {t(`imports.${j.status}`)}
      </Tag>
    </Space>
  );
  const percent = (j: ImportJob) =>
    j.status !== 'running' ? 100 : Math.min(99, Math.floor(j.totalBytes ? (j.bytesRead / j.totalBytes) * 100 : j.rowsTotal ? (j.rows / j.rowsTotal) * 100 : 0));

  return (
    <Space direction="vertical" size="middle" style={{ width: '100%' }}>
      <Typography.Title level={3}>{t('imports.title')}</Typography.Title>
      <Typography.Paragraph type="secondary">{t('imports.intro')}</Typography.Paragraph>

      {!job && (
        <Card>
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <div>
              <Typography.Text strong id="import-kind-label">{t('imports.kind')}</Typography.Text>
              <div>
                <Radio.Group
                  aria-labelledby="import-kind-label"
                  value={kind}
                  onChange={(e) => setKind(e.target.value as Kind)}
                  options={[{ value: 'members', label: t('imports.members') }, { value: 'orders', label: t('imports.orders') }, { value: 'refunds', label: t('imports.refunds') }]}
                />
              </div>
              <Typography.Text type="secondary">{t(`imports.${kind}Help`)}</Typography.Text>{' '}
              <Typography.Link href={templateUrl(kind, i18n.language)} download data-testid="import-template">
                <DownloadOutlined /> {t('imports.downloadTemplate')}
              </Typography.Link>
            </div>
            <div>
              <Typography.Text strong id="import-encoding-label">{t('imports.encoding')}</Typography.Text>
              <div>
                <Select<Encoding>
                  aria-labelledby="import-encoding-label"
                  value={encoding}
                  onChange={setEncoding}
                  style={{ width: 280 }}
                  options={ENCODINGS.map((e) => ({ value: e, label: t(`imports.encodings.${e}`) }))}
                />
              </div>
              <Typography.Text type="secondary">{t('imports.encodingHelp')}</Typography.Text>
            </div>
            <Upload.Dragger
              accept=".csv,.jsonl,.ndjson,.json,text/csv"
              multiple={false}
              beforeUpload={(f) => {
                setFile(f);
                return false;
              }}
              fileList={file ? [{ uid: 'file', name: file.name, status: 'done' }] : []}
              onRemove={() => setFile(undefined)}
              data-testid="import-file"
            >
              <p className="ant-upload-drag-icon"><InboxOutlined /></p>
              <p className="ant-upload-text">{t('imports.dropHint')}</p>
            </Upload.Dragger>
            <Space>
              <Button type="primary" icon={<UploadOutlined />} onClick={start} loading={uploading !== undefined} disabled={!file}>
                {t(dryRun ? 'imports.startCheck' : 'imports.start')}
              </Button>
              <Checkbox checked={dryRun} onChange={(e) => setDryRun(e.target.checked)}>{t('imports.dryRun')}</Checkbox>
              {uploading !== undefined && <Typography.Text>{t('imports.uploading', { percent: uploading })}</Typography.Text>}
            </Space>
          </Space>
        </Card>
      )}

      {job && (
        <Card title={job.fileName} extra={statusTag(job)} data-testid="import-job">
          <Space direction="vertical" size="middle" style={{ width: '100%' }}>
            <Progress percent={percent(job)} status={job.status === 'failed' ? 'exception' : job.status === 'done' ? 'success' : 'active'} />
            <Typography.Text type="secondary">
              {t('imports.progress', { rows: format.number(job.rows), total: format.number(Math.max(job.rows, job.rowsTotal)) })}
              {job.encoding && <span data-testid="import-encoding">{' · '}{t('imports.readAs', { encoding: job.encoding.toUpperCase() })}</span>}
            </Typography.Text>
            <Space size="large" wrap>
              <Statistic title={t('imports.rows')} value={format.number(job.rows)} />
              <Statistic title={t(job.dryRun ? 'imports.wouldImport' : 'imports.imported')} value={format.number(job.imported)} />
              <Statistic title={t('imports.unchanged')} value={format.number(job.unchanged)} />
              <Statistic title={t('imports.rejected')} value={format.number(job.rejected)} />
              {job.conflicts > 0 && (
                <Tooltip title={t('imports.conflictsHelp')}>
                  <div data-testid="import-conflicts">
                    <Statistic title={t('imports.conflicts')} value={format.number(job.conflicts)} />
                  </div>
                </Tooltip>
              )}
            </Space>
            {job.status === 'done' && (
              <Alert
                type={job.rejected || job.conflicts ? 'warning' : 'success'}
                showIcon
                data-testid="import-summary"
                message={
                  job.dryRun
                    ? t('imports.checkSummary', { rows: format.number(job.rows), valid: format.number(job.imported + job.unchanged), rejected: format.number(job.rejected) })
                    : t('imports.summary', { rows: format.number(job.rows), imported: format.number(job.imported), unchanged: format.number(job.unchanged), rejected: format.number(job.rejected) })
                }
                description={job.conflicts > 0 ? t(job.dryRun ? 'imports.checkConflicts' : 'imports.summaryConflicts', { conflicts: format.number(job.conflicts) }) : undefined}
              />
            )}
            {job.status === 'failed' && <Alert type="error" showIcon message={t('imports.failedText', { error: job.error ?? '' })} />}
            <Space>
              {job.status === 'done' &&
                (job.rejected ? (
                  <Button icon={<DownloadOutlined />} href={rejectsUrl(job.id)} download={`${job.fileName}.rejects.csv`}>{t('imports.downloadRejects')}</Button>
                ) : (
                  <Typography.Text type="secondary">{t('imports.noRejects')}</Typography.Text>
                ))}
              {job.status === 'done' && job.conflicts > 0 && (
                <Button icon={<DownloadOutlined />} href={conflictsUrl(job.id)} download={`${job.fileName}.conflicts.csv`}>{t('imports.downloadConflicts')}</Button>
              )}
              {job.status !== 'running' && <Button onClick={() => setJob(undefined)}>{t('imports.another')}</Button>}
            </Space>
          </Space>
        </Card>
      )}

      {recent.data && recent.data.data.length > 0 && (
        <Card title={t('imports.recent')}>
          <Table<ImportJob>
            rowKey="id"
            size="small"
            pagination={false}
            dataSource={recent.data.data}
            data-testid="recent-imports"
            columns={[
              { title: t('imports.fileName'), dataIndex: 'fileName' },
              { title: t('imports.kind'), dataIndex: 'kind', render: (k: Kind) => t(`imports.${k}`) },
              { title: t('imports.status'), render: (_, j) => statusTag(j) },
              { title: t('imports.imported'), dataIndex: 'imported', render: (v: number) => format.number(v) },
              { title: t('imports.unchanged'), dataIndex: 'unchanged', render: (v: number) => format.number(v) },
              { title: t('imports.rejected'), dataIndex: 'rejected', render: (v: number) => format.number(v) },
              { title: t('imports.conflicts'), dataIndex: 'conflicts', render: (v: number) => format.number(v) },
              { title: t('imports.startedAt'), dataIndex: 'startedAt', render: (v: string) => format.dateTime(v) },
              {
                title: t('common.actions'),
                render: (_, j) =>
                  j.status === 'done' && (j.rejected || j.conflicts) ? (
                    <Space size={0} wrap>
                      {j.rejected > 0 && <Button size="small" type="link" href={rejectsUrl(j.id)} download={`${j.fileName}.rejects.csv`}>{t('imports.downloadRejects')}</Button>}
                      {j.conflicts > 0 && <Button size="small" type="link" href={conflictsUrl(j.id)} download={`${j.fileName}.conflicts.csv`}>{t('imports.downloadConflicts')}</Button>}
                    </Space>
                  ) : null,
              },
            ]}
          />
        </Card>
      )}
      {job === undefined && recent.error && <Alert type="error" showIcon message={errorText(t, recent.error)} />}
    </Space>
  );
}
