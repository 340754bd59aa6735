import { Input, Select, Space, Typography } from 'antd';
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useRuleOptions } from './data';
import { DateInput, DaysInput, EnumSelect, FiltersInput, NumberInput, statusOf, SuggestInput, type PropertyFilter, type Window, WindowInput } from './fields';
import type { NodeError, RuleNode, RuleSchema } from './model';

interface Props {
  node: RuleNode;
  onChange: (node: RuleNode) => void;
  errors: NodeError[];
  disabled: boolean;
  schema: RuleSchema;
}

/** Keeps only the value fields a trait operator uses, with a value of the right shape. */
function traitWithOp(node: RuleNode, type: string, op: string): RuleNode {
  const { value, values, days, ...rest } = node as RuleNode & { value?: unknown; values?: unknown[]; days?: number };
  const base = { ...rest, type, op };
  if (op === 'exists' || op === 'not_exists') return base;
  if (op === 'within_last_days' || op === 'anniversary_within_days') return { ...base, days: days ?? 30 };
  if (op === 'in' || op === 'not_in') return { ...base, values: Array.isArray(values) ? values : value !== undefined && value !== '' ? [value] : [] };
  if (op === 'between') return { ...base, values: Array.isArray(values) && values.length === 2 ? values : type === 'number' ? [0, 100] : [] };
  const keep = typeof value === (type === 'date' ? 'string' : type) ? value : undefined;
  return { ...base, value: keep ?? (type === 'number' ? 0 : type === 'boolean' ? true : '') };
}

/** The fields of one leaf condition, by kind; operator choices come from the schema description. */
export function ConditionFields({ node, onChange, errors, disabled, schema }: Props) {
  const { t } = useTranslation();
  const options = useRuleOptions();
  const set = (patch: Record<string, unknown>) => {
    const next: RuleNode = { ...node, ...patch };
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete next[k];
    onChange(next);
  };
  const enumOf = (field: string, fallback: string[] = []) => schema.kinds[node.kind]?.[field]?.enum ?? fallback;
  const status = (field: string) => statusOf(errors, field);
  const str = (field: string) => (typeof node[field] === 'string' ? (node[field] as string) : undefined);
  const num = (field: string) => (typeof node[field] === 'number' ? (node[field] as number) : undefined);
  const eventNames = options.events.map((e) => e.name);
  const propertiesOf = (event?: string) => options.events.find((e) => e.name === event)?.properties ?? [];
  const text = (key: string) => <Typography.Text type="secondary">{t(key)}</Typography.Text>;
  const row = (...children: ReactNode[]) => <Space size={4} wrap align="center">{children}</Space>;

  const timeFields = () => (
    <>
      <EnumSelect key="which" value={str('which')} values={enumOf('which')} prefix="rules.which" label={t('rules.whichLabel')} onChange={(which: string) => set({ which })} disabled={disabled} status={status('which')} width={110} />
      <EnumSelect key="op" value={str('op')} values={enumOf('op')} prefix="rules.timeOps" label={t('rules.operator')} disabled={disabled} status={status('op')} width={140}
        onChange={(op: string) => set(op === 'before' || op === 'after' ? { op, days: undefined, date: str('date') ?? new Date().toISOString().slice(0, 10) } : { op, date: undefined, days: num('days') ?? 30 })} />
      {(node.op === 'before' || node.op === 'after') && <DateInput key="date" value={str('date')} onChange={(date) => set({ date })} label={t('rules.date')} disabled={disabled} status={status('date')} />}
      {(node.op === 'within_last_days' || node.op === 'not_within_last_days') && <DaysInput key="days" value={num('days')} onChange={(days) => set({ days })} label={t('rules.days')} disabled={disabled} status={status('days')} />}
    </>
  );
  const orderScope = () => (
    <>
      <WindowInput key="window" value={node.window as Window | undefined} onChange={(window) => set({ window })} types={schema.windowTypes} disabled={disabled} status={status('window')} />
      <Input key="store" aria-label={t('rules.store')} placeholder={t('rules.store')} value={str('store') ?? ''} onChange={(e) => set({ store: e.target.value || undefined })} disabled={disabled} status={status('store')} style={{ width: 120 }} />
      <Input key="channel" aria-label={t('rules.channel')} placeholder={t('rules.channel')} value={str('channel') ?? ''} onChange={(e) => set({ channel: e.target.value || undefined })} disabled={disabled} status={status('channel')} style={{ width: 120 }} />
    </>
  );
  const eventField = () => (
    <SuggestInput key="event" value={str('event')} onChange={(event) => set({ event })} options={eventNames} label={t('rules.event')} disabled={disabled} status={status('event')} />
  );
  const filters = () => (disabled && !(node.where as unknown[] | undefined)?.length ? null : (
    <FiltersInput value={node.where as PropertyFilter[] | undefined} onChange={(where) => set({ where })} ops={schema.propertyFilterOps} properties={propertiesOf(str('event'))} errors={errors} disabled={disabled} />
  ));

  switch (node.kind) {
    case 'trait': {
      const type = str('type') ?? 'string';
      const op = str('op') ?? 'eq';
      const values = Array.isArray(node.values) ? (node.values as (string | number)[]) : [];
      let valueInput: ReactNode = null;
      if (op === 'within_last_days' || op === 'anniversary_within_days') valueInput = <DaysInput value={num('days')} onChange={(days) => set({ days })} label={t('rules.days')} disabled={disabled} status={status('days')} min={0} />;
      else if (op === 'in' || op === 'not_in')
        valueInput = (
          <Select aria-label={t('rules.values')} mode="tags" value={values.map(String)} tokenSeparators={[',']} disabled={disabled} status={status('values')} style={{ minWidth: 180 }} placeholder={t('rules.valuesPlaceholder')}
            onChange={(vs: string[]) => set({ values: type === 'number' ? vs.map(Number).filter((n) => !Number.isNaN(n)) : vs })} />
        );
      else if (op === 'between' && type === 'date')
        valueInput = (
          <Space size={4}>
            <DateInput value={values[0] as string} onChange={(v) => set({ values: [v ?? '', values[1] ?? ''] })} label={t('rules.from')} disabled={disabled} status={status('values')} />
            <DateInput value={values[1] as string} onChange={(v) => set({ values: [values[0] ?? '', v ?? ''] })} label={t('rules.to')} disabled={disabled} status={status('values')} />
          </Space>
        );
      else if (op === 'between')
        valueInput = (
          <Space size={4}>
            <NumberInput value={values[0] as number} onChange={(v) => set({ values: [v ?? 0, values[1] ?? 0] })} label={t('rules.from')} disabled={disabled} status={status('values')} />
            <NumberInput value={values[1] as number} onChange={(v) => set({ values: [values[0] ?? 0, v ?? 0] })} label={t('rules.to')} disabled={disabled} status={status('values')} />
          </Space>
        );
      else if (op === 'exists' || op === 'not_exists') valueInput = null;
      else if (type === 'number') valueInput = <NumberInput value={num('value')} onChange={(value) => set({ value: value ?? 0 })} label={t('rules.value')} disabled={disabled} status={status('value')} />;
      else if (type === 'boolean')
        valueInput = <EnumSelect value={String(node.value === true)} values={['true', 'false']} prefix="rules.bool" label={t('rules.value')} disabled={disabled} width={80} onChange={(v: string) => set({ value: v === 'true' })} />;
      else if (type === 'date') valueInput = <DateInput value={str('value')} onChange={(value) => set({ value: value ?? '' })} label={t('rules.value')} disabled={disabled} status={status('value')} />;
      else valueInput = <Input aria-label={t('rules.value')} value={str('value') ?? ''} onChange={(e) => set({ value: e.target.value })} disabled={disabled} status={status('value')} style={{ width: 160 }} />;
      return row(
        <Input key="trait" aria-label={t('rules.trait')} placeholder={t('rules.traitPlaceholder')} value={str('trait') ?? ''} onChange={(e) => set({ trait: e.target.value })} disabled={disabled} status={status('trait')} style={{ width: 150 }} />,
        <EnumSelect key="type" value={type} values={enumOf('type', ['string'])} prefix="rules.types" label={t('rules.valueType')} disabled={disabled} status={status('type')} width={90}
          onChange={(next: string) => onChange(traitWithOp(node, next, (schema.traitOps[next] ?? []).includes(op) ? op : (schema.traitOps[next]?.[0] ?? 'eq')))} />,
        <EnumSelect key="op" value={op} values={schema.traitOps[type] ?? []} prefix="rules.ops" label={t('rules.operator')} disabled={disabled} status={status('op')} width={130}
          onChange={(next: string) => onChange(traitWithOp(node, type, next))} />,
        <span key="value">{valueInput}</span>,
      );
    }
    case 'event': {
      const count = node.count as { op: string; value: number } | undefined;
      return (
        <Space direction="vertical" size={4}>
          {row(
            eventField(),
            <EnumSelect key="count" value={count ? (count.op === 'eq' && count.value === 0 ? 'never' : 'count') : 'once'} values={['once', 'never', 'count']} prefix="rules.countMode" label={t('rules.countLabel')} disabled={disabled} status={status('count')} width={130}
              onChange={(mode: string) => set({ count: mode === 'once' ? undefined : mode === 'never' ? { op: 'eq', value: 0 } : { op: 'gte', value: 2 } })} />,
            count && !(count.op === 'eq' && count.value === 0) && (
              <Space key="n" size={4}>
                <EnumSelect value={count.op} values={schema.kinds.order?.op?.enum ?? ['eq', 'neq', 'gt', 'gte', 'lt', 'lte']} prefix="rules.compare" label={t('rules.operator')} disabled={disabled} width={70} onChange={(op: string) => set({ count: { ...count, op } })} />
                <NumberInput value={count.value} min={0} onChange={(value) => set({ count: { ...count, value: Math.max(0, Math.round(value ?? 0)) } })} label={t('rules.times')} disabled={disabled} status={status('count')} />
                {text('rules.timesUnit')}
              </Space>
            ),
            <WindowInput key="window" value={node.window as Window | undefined} onChange={(window) => set({ window })} types={schema.windowTypes} disabled={disabled} status={status('window')} />,
          )}
          {filters()}
        </Space>
      );
    }
    case 'event_aggregate':
      return (
        <Space direction="vertical" size={4}>
          {row(
            eventField(),
            <EnumSelect key="fn" value={str('fn')} values={enumOf('fn')} prefix="rules.fn" label={t('rules.fnLabel')} onChange={(fn: string) => set({ fn })} disabled={disabled} status={status('fn')} width={90} />,
            <SuggestInput key="property" value={str('property')} onChange={(property) => set({ property })} options={propertiesOf(str('event'))} label={t('rules.property')} disabled={disabled} status={status('property')} width={140} />,
            <EnumSelect key="op" value={str('op')} values={enumOf('op')} prefix="rules.compare" label={t('rules.operator')} onChange={(op: string) => set({ op })} disabled={disabled} status={status('op')} width={70} />,
            <NumberInput key="value" value={num('value')} onChange={(value) => set({ value: value ?? 0 })} label={t('rules.value')} disabled={disabled} status={status('value')} />,
            <WindowInput key="window" value={node.window as Window | undefined} onChange={(window) => set({ window })} types={schema.windowTypes} disabled={disabled} status={status('window')} />,
          )}
          {filters()}
        </Space>
      );
    case 'event_time':
      return (
        <Space direction="vertical" size={4}>
          {row(eventField(), timeFields())}
          {filters()}
        </Space>
      );
    case 'order':
      return row(
        <EnumSelect key="measure" value={str('measure')} values={enumOf('measure')} prefix="rules.measure" label={t('rules.measureLabel')} onChange={(measure: string) => set({ measure })} disabled={disabled} status={status('measure')} width={120} />,
        <EnumSelect key="op" value={str('op')} values={enumOf('op')} prefix="rules.compare" label={t('rules.operator')} onChange={(op: string) => set({ op })} disabled={disabled} status={status('op')} width={70} />,
        <NumberInput key="value" value={num('value')} min={0} onChange={(value) => set({ value: value ?? 0 })} label={t('rules.value')} disabled={disabled} status={status('value')} />,
        orderScope(),
      );
    case 'order_time':
      return row(timeFields());
    case 'bought':
      return row(
        <Input key="sku" aria-label={t('rules.sku')} placeholder={t('rules.sku')} value={str('sku') ?? ''} onChange={(e) => set({ sku: e.target.value || undefined })} disabled={disabled} status={status('sku')} style={{ width: 140 }} />,
        <Input key="category" aria-label={t('rules.category')} placeholder={t('rules.category')} value={str('category') ?? ''} onChange={(e) => set({ category: e.target.value || undefined })} disabled={disabled} status={status('category')} style={{ width: 140 }} />,
        orderScope(),
      );
    case 'tag':
      return row(
        <EnumSelect key="op" value={str('op')} values={enumOf('op')} prefix="rules.tagOps" label={t('rules.operator')} onChange={(op: string) => set({ op })} disabled={disabled} status={status('op')} width={110} />,
        <Select key="tag" aria-label={t('rules.tag')} showSearch optionFilterProp="label" value={str('tag') || undefined} placeholder={t('rules.chooseTag')} onChange={(tag: string) => set({ tag })} disabled={disabled} status={status('tag')} style={{ minWidth: 180 }}
          options={options.tags.map((tg) => ({ value: tg.id, label: tg.name }))} />,
        <Input key="value" aria-label={t('rules.tagValue')} placeholder={t('rules.tagValue')} value={str('value') ?? ''} onChange={(e) => set({ value: e.target.value || undefined })} disabled={disabled} status={status('value')} style={{ width: 130 }} />,
      );
    case 'segment':
      return row(
        <EnumSelect key="op" value={str('op')} values={enumOf('op')} prefix="rules.segmentOps" label={t('rules.operator')} onChange={(op: string) => set({ op })} disabled={disabled} status={status('op')} width={110} />,
        <Select key="segment" aria-label={t('rules.segment')} showSearch optionFilterProp="label" value={str('segment') || undefined} placeholder={t('rules.chooseSegment')} onChange={(segment: string) => set({ segment })} disabled={disabled} status={status('segment')} style={{ minWidth: 180 }}
          options={options.segments.map((s) => ({ value: s.id, label: s.name }))} />,
      );
    case 'lifecycle':
      return row(
        text('rules.stageIn'),
        <EnumSelect key="stages" mode="multiple" value={node.stages as string[]} values={enumOf('stages')} prefix="stages" label={t('rules.stages')} onChange={(stages: string[]) => set({ stages })} disabled={disabled} status={status('stages')} width={260} />,
      );
    case 'rfm':
      return row(
        text('rules.rfmIn'),
        <EnumSelect key="classes" mode="multiple" value={node.classes as string[]} values={enumOf('classes')} prefix="rules.rfmClasses" label={t('rules.rfmClassesLabel')} onChange={(classes: string[]) => set({ classes: classes.length ? classes : undefined })} disabled={disabled} status={status('classes')} width={320} />,
      );
    case 'identifier':
      return row(
        <EnumSelect key="op" value={str('op')} values={enumOf('op')} prefix="rules.tagOps" label={t('rules.operator')} onChange={(op: string) => set({ op })} disabled={disabled} status={status('op')} width={110} />,
        <SuggestInput key="type" value={str('type')} onChange={(type) => set({ type })} options={options.identifierTypes} label={t('rules.identifierType')} disabled={disabled} status={status('type')} width={200} />,
      );
    case 'consent':
      return row(
        text('rules.consentedOn'),
        <SuggestInput key="channel" value={str('channel')} onChange={(channel) => set({ channel })} options={['sms', 'email', 'wechat', 'wecom', 'app_push']} label={t('rules.channel')} disabled={disabled} status={status('channel')} width={160} />,
      );
    default:
      return <Typography.Text code>{JSON.stringify(node)}</Typography.Text>;
  }
}
