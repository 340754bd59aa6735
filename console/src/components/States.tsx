import Alert from 'antd/es/alert';
import Button from 'antd/es/button';
import Empty from 'antd/es/empty';
import Result from 'antd/es/result';
import Spin from 'antd/es/spin';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import type { ApiError, ApiState } from '../api';

const knownCodes = new Set(['unauthorized', 'forbidden', 'not_found', 'invalid_request', 'conflict', 'internal', 'network']);

/** An error in the operator's words: what happened (by code), then the server's explanation. */
export function errorText(t: (key: string, opts?: Record<string, unknown>) => string, error: ApiError): string {
  const summary = t(`errors.${knownCodes.has(error.code) ? error.code : 'unknown'}`);
  const detail = error.code === 'internal' || error.code === 'network' ? '' : error.message;
  return detail ? `${summary}: ${detail}` : summary;
}

export function ErrorState({ error, onRetry }: { error: ApiError; onRetry?: () => void }) {
  const { t } = useTranslation();
  return (
    <Alert
      type="error"
      showIcon
      message={t('errors.title')}
      description={errorText(t, error)}
      action={onRetry ? <Button size="small" onClick={onRetry}>{t('common.retry')}</Button> : undefined}
    />
  );
}

/** The feature's API is not on this server yet: say so plainly instead of failing. */
export function NotAvailable({ feature }: { feature: string }) {
  const { t } = useTranslation();
  return <Result status="info" title={t('notAvailable.title')} subTitle={t('notAvailable.text', { feature })} data-testid="not-available" />;
}

/** Loading, error and not-available states around a page's data; renders children once data is there. */
export function Loaded<T>({ state, feature, children }: { state: ApiState<T>; feature: string; children: (data: T) => ReactNode }) {
  const { t } = useTranslation();
  if (state.error?.missingRoute) return <NotAvailable feature={feature} />;
  if (state.error) return <ErrorState error={state.error} onRetry={state.reload} />;
  if (state.data === undefined) return <Spin tip={t('common.loading')} style={{ display: 'block', padding: 48 }}><div /></Spin>;
  return <>{children(state.data)}</>;
}

export function NoData() {
  const { t } = useTranslation();
  return <Empty description={t('common.noData')} />;
}
