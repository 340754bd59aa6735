import Col from 'antd/es/col';
import Row from 'antd/es/row';
import Skeleton from 'antd/es/skeleton';
import { lazy, Suspense, useMemo, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { Panel } from '../components/Panel';
import { useApi, type ApiState } from '../api';
import { MutedText, PageTitle } from '../components/Heading';
import { Link } from '../router';
import type { AiplReport, RfmReport } from './charts';
import { useCharts } from './loadCharts';
import { TopJourneysTable, type TopJourney } from './OverviewJourneys';
import { OverviewStatsSection, type OverviewStats } from './OverviewStats';

// Error states (antd Alert, Result, Button) load only when one is shown.
const ErrorState = lazy(() => import('../components/States').then((m) => ({ default: m.ErrorState })));
const NotAvailable = lazy(() => import('../components/States').then((m) => ({ default: m.NotAvailable })));

const DAY_MS = 86_400_000;

const lastDays = (days: number) => ({ from: new Date(Date.now() - days * DAY_MS).toISOString().slice(0, 10), to: new Date().toISOString().slice(0, 10) });

/**
 * The dashboard: each part comes from its own module's API and appears when that API is on the server.
 * index.html starts these requests early: keep its URLs in step.
 */
export function OverviewPage() {
  const { t } = useTranslation();
  const period = useMemo(() => lastDays(30), []);
  const stats = useApi<OverviewStats>('/api/v1/stats/overview');
  const aipl = useApi<AiplReport>('/api/v1/reports/aipl', period);
  const rfm = useApi<RfmReport>('/api/v1/reports/rfm');
  const journeys = useApi<{ data: TopJourney[] }>('/api/v1/reports/journeys', { limit: 5 });
  // ECharts is large: it loads only for a screen with charts (or about to show them: loadCharts.ts).
  const charts = useCharts();
  const states = [stats, aipl, rfm, journeys];
  const allMissing = states.every((s) => s.error?.missingRoute);

  const section = <T,>(state: ApiState<T>, render: (data: T) => ReactNode) => {
    if (state.error?.missingRoute) return null;
    if (state.error) return <Suspense fallback={null}><ErrorState error={state.error} onRetry={state.reload} /></Suspense>;
    if (state.data === undefined) return <Skeleton active />;
    return render(state.data);
  };
  const chart = (node: (c: NonNullable<typeof charts>) => ReactNode) => (charts ? node(charts) : <Skeleton active />);

  return (
    <>
      <PageTitle>{t('overview.title')}</PageTitle>
      {allMissing ? (
        <Suspense fallback={null}><NotAvailable feature={t('overview.title')} /></Suspense>
      ) : (
        <Row gutter={[16, 16]}>
          {section(stats, (data) => <OverviewStatsSection data={data} />)}
          {!aipl.error?.missingRoute && (
            <Col xs={24} xl={14}>
              <Panel title={`${t('overview.aipl')} · ${t('overview.aiplFlow')}`} extra={t('overview.period')} data-testid="aipl">
                {section(aipl, (report) => (report.daily.length ? chart((c) => <c.AiplCharts report={report} />) : <NoDataText />))}
              </Panel>
            </Col>
          )}
          {!rfm.error?.missingRoute && (
            <Col xs={24} xl={10}>
              <Panel title={t('overview.rfm')} data-testid="rfm">
                {section(rfm, (report) => (report.classes.some((c) => c.profiles > 0) ? chart((c) => <c.RfmChart report={report} />) : <NoDataText />))}
              </Panel>
            </Col>
          )}
          {!journeys.error?.missingRoute && (
            <Col xs={24} xl={14}>
              <Panel title={t('journeys.top.title')} extra={<Link to="/journeys">{t('journeys.top.all')}</Link>} data-testid="top-journeys">
                {section(journeys, (report) => <TopJourneysTable rows={report.data} />)}
              </Panel>
            </Col>
          )}
        </Row>
      )}
    </>
  );
}

function NoDataText() {
  const { t } = useTranslation();
  return <MutedText>{t('common.noData')}</MutedText>;
}
