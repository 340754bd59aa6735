import { Alert, Card, Col, Row, Spin, Statistic, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../format';
import { errorText } from '../States';
import { useEstimate, type Estimate } from './data';
import { hasConditions, type Rule } from './model';
import { RuleBuilder } from './RuleBuilder';

/**
 * The rule builder with its live size estimate beside it. Errors of the estimate (an invalid rule) are shown on
 * the offending nodes; `saveErrors` (from a refused save) take their place when given.
 */
export function RuleEditor({ value, onChange, readOnly, saveErrors }: {
  value: Rule;
  onChange: (rule: Rule) => void;
  readOnly?: boolean;
  saveErrors?: { path?: string; message: string }[];
}) {
  const estimate = useEstimate(value);
  const invalid = estimate.error?.code === 'invalid_request' ? estimate.error.details : [];
  return (
    <Row gutter={16} wrap>
      <Col flex="1 1 640px" style={{ minWidth: 0 }}>
        <RuleBuilder value={value} onChange={onChange} readOnly={readOnly} errors={saveErrors && saveErrors.length ? saveErrors : invalid} />
      </Col>
      <Col flex="0 0 240px">
        <EstimateCard estimate={estimate} empty={!hasConditions(value)} current={JSON.stringify(value)} />
      </Col>
    </Row>
  );
}

export function EstimateCard({ estimate, empty, current }: { estimate: Estimate; empty: boolean; current: string }) {
  const { t } = useTranslation();
  const format = useFormat();
  const stale = estimate.forRule !== current;
  let body;
  if (empty) body = <Typography.Text type="secondary">{t('rules.estimateEmpty')}</Typography.Text>;
  else if (estimate.error?.code === 'invalid_request') body = <Alert type="warning" showIcon message={t('rules.estimateInvalid', { count: estimate.error.details.length || 1 })} />;
  else if (estimate.error) body = <Alert type="error" showIcon message={errorText(t, estimate.error)} />;
  else
    body = (
      <Spin spinning={estimate.loading || (stale && estimate.size !== undefined)} size="small">
        <Statistic title={t('rules.estimateTitle')} value={estimate.size === undefined ? '—' : format.number(estimate.size)} suffix={estimate.size === undefined ? undefined : t('rules.people')} />
      </Spin>
    );
  return (
    <Card size="small" title={t('rules.estimate')} data-testid="rule-estimate" aria-live="polite" data-size={!stale && !estimate.loading && estimate.size !== undefined ? estimate.size : undefined}>
      {body}
      <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginTop: 8, marginBottom: 0 }}>{t('rules.estimateHint')}</Typography.Paragraph>
    </Card>
  );
}
