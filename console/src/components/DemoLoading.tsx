import Alert from 'antd/es/alert';
import Button from 'antd/es/button';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { useSession } from '../session';

/** How often the banner asks how far the demo brand's first load has got. */
const POLL_MS = 3_000;

/**
 * On first start the server loads the demo brand while it already answers: pages show part of the data meanwhile.
 * This says so, with the load's progress, and when it has finished offers a reload to see all of it.
 */
export function DemoLoadingBanner({ gap = 16 }: { gap?: number }) {
  const { t } = useTranslation();
  const { config, refreshConfig } = useSession();
  const loading = config?.demoLoading ?? null;
  const sawLoading = useRef(false);
  const [finished, setFinished] = useState(false);
  const isLoading = loading !== null;

  useEffect(() => {
    if (!isLoading) {
      if (sawLoading.current) setFinished(true);
      return;
    }
    sawLoading.current = true;
    const timer = setInterval(() => void refreshConfig(), POLL_MS);
    return () => clearInterval(timer);
  }, [isLoading, refreshConfig]);

  if (loading) {
    const percent = loading.totalMembers ? Math.floor((100 * loading.members) / loading.totalMembers) : 0;
    const values = { members: loading.members.toLocaleString(), total: loading.totalMembers.toLocaleString(), percent };
    return <Alert type="info" showIcon data-testid="demo-loading" style={{ marginBottom: gap }} message={t(loading.step === 'members' ? 'demoLoading.members' : 'demoLoading.lifecycle', values)} />;
  }
  if (!finished) return null;
  return (
    <Alert
      type="success"
      showIcon
      closable
      data-testid="demo-loaded"
      style={{ marginBottom: gap }}
      message={t('demoLoading.done')}
      action={<Button size="small" onClick={() => window.location.reload()}>{t('demoLoading.reload')}</Button>}
    />
  );
}
