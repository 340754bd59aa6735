import { Alert, Skeleton, Tabs, Typography } from 'antd';
import { lazy, Suspense, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { navigate } from '../../router';
import { useSession } from '../../session';
import type { PageProps } from '../../routes';
import { TiersTab } from './Tiers';
import { EarningTab } from './Earning';
import { LedgerTab } from './Ledger';
import { CouponsTab } from './Coupons';
import { CampaignsTab } from './Campaigns';
import { CheckinTab } from './Checkin';
import { MallTab } from './Mall';

// The reports draw charts: ECharts loads only when that tab is opened.
const ReportsTab = lazy(() => import('./Reports').then((m) => ({ default: m.ReportsTab })));

export const LOYALTY_TABS = ['tiers', 'earning', 'ledger', 'coupons', 'campaigns', 'checkin', 'mall', 'reports'] as const;
type TabKey = (typeof LOYALTY_TABS)[number];

const panels: Record<TabKey, () => ReactNode> = {
  tiers: () => <TiersTab />,
  earning: () => <EarningTab />,
  ledger: () => <LedgerTab />,
  coupons: () => <CouponsTab />,
  campaigns: () => <CampaignsTab />,
  checkin: () => <CheckinTab />,
  mall: () => <MallTab />,
  reports: () => <ReportsTab />,
};

/** Loyalty: tiers, earning rules, points ledger, coupons and campaigns, check-in, points mall and reports (`/loyalty/:tab`). */
export function LoyaltyPage({ params }: PageProps) {
  const { t } = useTranslation();
  const { canWrite } = useSession();
  const tab: TabKey = (LOYALTY_TABS as readonly string[]).includes(params.tab ?? '') ? (params.tab as TabKey) : 'tiers';
  return (
    <>
      <Typography.Title level={3}>{t('menu.loyalty')}</Typography.Title>
      {!canWrite && <Alert type="info" showIcon style={{ marginBottom: 16 }} message={t('loyalty.readOnly')} data-testid="loyalty-read-only" />}
      <Tabs
        activeKey={tab}
        onChange={(key) => navigate(`/loyalty/${key}`)}
        items={LOYALTY_TABS.map((key) => ({
          key,
          label: t(`loyalty.tabs.${key}`),
          children: key === tab ? <Suspense fallback={<Skeleton active />}>{panels[key]()}</Suspense> : null,
        }))}
      />
    </>
  );
}
