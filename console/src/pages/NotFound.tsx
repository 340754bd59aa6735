import { Button, Result } from 'antd';
import { useTranslation } from 'react-i18next';
import { navigate } from '../router';

export function NotFoundPage() {
  const { t } = useTranslation();
  return <Result status="404" title={t('notFound.title')} extra={<Button onClick={() => navigate('/')}>{t('notFound.back')}</Button>} />;
}
