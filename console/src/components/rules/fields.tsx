import { CloseOutlined, PlusOutlined } from '@ant-design/icons';
import { AutoComplete, Button, DatePicker, Input, InputNumber, Select, Space, Typography } from 'antd';
import dayjs from 'dayjs';
import { useTranslation } from 'react-i18next';
import type { NodeError } from './model';

/** `error` when one of the node's errors is about this field (or inside it). */
export function statusOf(errors: NodeError[], field: string): 'error' | undefined {
  return errors.some((e) => e.field === field || e.field.startsWith(`${field}.`) || e.field.startsWith(`${field}[`)) ? 'error' : undefined;
}

/** A node's errors in words, under the node. */
export function NodeErrors({ errors }: { errors: NodeError[] }) {
  const { t } = useTranslation();
  if (errors.length === 0) return null;
  // `where[0].value` → "Property filter 1 · Value"
  const fieldName = (field: string) =>
    field
      .split('.')
      .map((part) => {
        const m = /^(\w+)(?:\[(\d+)\])?$/.exec(part);
        if (!m) return part;
        const name = t(`rules.fieldNames.${m[1]}`, { defaultValue: m[1] });
        return m[2] === undefined ? name : `${name} ${Number(m[2]) + 1}`;
      })
      .join(' · ');
  return (
    <div role="alert" data-testid="rule-node-error">
      {errors.map((e, i) => (
        <Typography.Text key={i} type="danger" style={{ display: 'block', fontSize: 12 }}>
          {e.field ? t('rules.errorAt', { field: fieldName(e.field), message: e.message }) : e.message}
        </Typography.Text>
      ))}
    </div>
  );
}

export function DateInput({ value, onChange, label, disabled, status }: { value?: string; onChange: (v: string | undefined) => void; label: string; disabled?: boolean; status?: 'error' }) {
  return (
    <DatePicker
      aria-label={label}
      value={value ? dayjs(value) : null}
      onChange={(d) => onChange(d ? d.format('YYYY-MM-DD') : undefined)}
      disabled={disabled}
      status={status}
      style={{ width: 150 }}
    />
  );
}

export function DaysInput({ value, onChange, label, disabled, status, min = 1 }: { value?: number; onChange: (v: number | undefined) => void; label: string; disabled?: boolean; status?: 'error'; min?: number }) {
  const { t } = useTranslation();
  return (
    <InputNumber
      aria-label={label}
      min={min}
      max={3650}
      precision={0}
      value={value}
      onChange={(v) => onChange(v ?? undefined)}
      disabled={disabled}
      status={status}
      addonAfter={t('rules.days')}
      style={{ width: 140 }}
    />
  );
}

export function NumberInput({ value, onChange, label, disabled, status, min }: { value?: number; onChange: (v: number | undefined) => void; label: string; disabled?: boolean; status?: 'error'; min?: number }) {
  return <InputNumber aria-label={label} value={value} min={min} onChange={(v) => onChange(v ?? undefined)} disabled={disabled} status={status} style={{ width: 130 }} />;
}

/** A free text field with suggestions (trait names, events, properties). */
export function SuggestInput({ value, onChange, options, label, placeholder, disabled, status, width = 180 }: {
  value?: string; onChange: (v: string) => void; options: string[]; label: string; placeholder?: string; disabled?: boolean; status?: 'error'; width?: number;
}) {
  const text = value ?? '';
  return (
    <AutoComplete
      aria-label={label}
      value={text}
      onChange={onChange}
      options={options.filter((o) => o.toLowerCase().includes(text.toLowerCase())).slice(0, 50).map((o) => ({ value: o }))}
      placeholder={placeholder ?? label}
      disabled={disabled}
      status={status}
      style={{ width }}
    />
  );
}

/** An enum of the schema as a select, each value labelled through i18n (`prefix.value`). */
export function EnumSelect({ value, onChange, values, prefix, label, disabled, status, width = 150, mode }: {
  value?: string | string[]; onChange: (v: never) => void; values: readonly string[]; prefix: string; label: string; disabled?: boolean; status?: 'error'; width?: number; mode?: 'multiple';
}) {
  const { t } = useTranslation();
  return (
    <Select
      aria-label={label}
      value={value as never}
      onChange={onChange}
      mode={mode}
      disabled={disabled}
      status={status}
      style={{ minWidth: width }}
      popupMatchSelectWidth={false}
      options={values.map((v) => ({ value: v, label: t(`${prefix}.${v}`, { defaultValue: v }) }))}
    />
  );
}

export type Window = { type: 'last_days'; days: number } | { type: 'between'; from: string; to: string };

/** A time window: any time, the last N days, or between two dates. */
export function WindowInput({ value, onChange, types, disabled, status }: { value?: Window; onChange: (w: Window | undefined) => void; types: string[]; disabled?: boolean; status?: 'error' }) {
  const { t } = useTranslation();
  const today = dayjs().format('YYYY-MM-DD');
  const change = (type: string) => {
    if (type === 'any') onChange(undefined);
    else if (type === 'last_days') onChange({ type: 'last_days', days: 30 });
    else onChange({ type: 'between', from: dayjs().subtract(30, 'day').format('YYYY-MM-DD'), to: today });
  };
  return (
    <Space size={4} wrap>
      <EnumSelect value={value?.type ?? 'any'} onChange={change} values={['any', ...types]} prefix="rules.window" label={t('rules.windowLabel')} disabled={disabled} status={status} width={120} />
      {value?.type === 'last_days' && <DaysInput value={value.days} onChange={(days) => onChange({ type: 'last_days', days: days ?? 1 })} label={t('rules.windowDays')} disabled={disabled} status={status} />}
      {value?.type === 'between' && (
        <DatePicker.RangePicker
          aria-label={t('rules.windowRange')}
          value={[dayjs(value.from), dayjs(value.to)]}
          onChange={(range) => range?.[0] && range[1] && onChange({ type: 'between', from: range[0].format('YYYY-MM-DD'), to: range[1].format('YYYY-MM-DD') })}
          disabled={disabled}
          status={status}
          allowClear={false}
        />
      )}
    </Space>
  );
}

export interface PropertyFilter {
  property: string;
  op: string;
  value?: string | number | boolean;
  values?: (string | number)[];
}

const typeOfFilter = (f: PropertyFilter): 'string' | 'number' | 'boolean' => {
  const sample = f.value ?? f.values?.[0];
  return typeof sample === 'number' ? 'number' : typeof sample === 'boolean' ? 'boolean' : 'string';
};

/** Property filters of an event condition: property, operator, value (typed: text, number or yes/no). */
export function FiltersInput({ value = [], onChange, ops, properties, errors, disabled }: {
  value?: PropertyFilter[]; onChange: (f: PropertyFilter[] | undefined) => void; ops: string[]; properties: string[]; errors: NodeError[]; disabled?: boolean;
}) {
  const { t } = useTranslation();
  const set = (i: number, f: PropertyFilter) => onChange(value.map((x, j) => (j === i ? f : x)));
  const retype = (f: PropertyFilter, type: string): PropertyFilter => {
    const convert = (v: unknown) => (type === 'number' ? Number(v) || 0 : type === 'boolean' ? v === true || v === 'true' : String(v ?? ''));
    return f.op === 'in' ? { ...f, values: (f.values ?? []).map((v) => convert(v) as string | number), value: undefined } : { ...f, value: convert(f.value), values: undefined };
  };
  return (
    <Space direction="vertical" size={4}>
      {value.map((f, i) => {
        const type = typeOfFilter(f);
        const status = (field: string) => statusOf(errors, `where[${i}].${field}`);
        return (
          <Space key={i} size={4} wrap>
            <Typography.Text type="secondary">{t('rules.where')}</Typography.Text>
            <SuggestInput value={f.property} onChange={(property) => set(i, { ...f, property })} options={properties} label={t('rules.property')} disabled={disabled} status={status('property')} width={150} />
            <EnumSelect value={f.op} values={ops} prefix="rules.ops" label={t('rules.operator')} disabled={disabled} status={status('op')} width={110}
              onChange={(op: string) => set(i, op === 'exists' ? { property: f.property, op } : op === 'in' ? { property: f.property, op, values: f.value !== undefined ? [f.value as string] : [] } : { property: f.property, op, value: f.value ?? f.values?.[0] ?? '' })} />
            {f.op !== 'exists' && (
              <EnumSelect value={type} values={['string', 'number', 'boolean']} prefix="rules.types" label={t('rules.valueType')} disabled={disabled} width={90} onChange={(tp: string) => set(i, retype(f, tp))} />
            )}
            {f.op === 'in' && (
              <Select aria-label={t('rules.values')} mode="tags" value={(f.values ?? []).map(String)} disabled={disabled} status={status('values')} style={{ minWidth: 160 }} tokenSeparators={[',']}
                onChange={(vs: string[]) => set(i, { ...f, values: type === 'number' ? vs.map(Number).filter((n) => !Number.isNaN(n)) : vs })} />
            )}
            {f.op !== 'in' && f.op !== 'exists' && type === 'number' && <NumberInput value={f.value as number} onChange={(v) => set(i, { ...f, value: v ?? 0 })} label={t('rules.value')} disabled={disabled} status={status('value')} />}
            {f.op !== 'in' && f.op !== 'exists' && type === 'boolean' && (
              <EnumSelect value={String(f.value === true)} values={['true', 'false']} prefix="rules.bool" label={t('rules.value')} disabled={disabled} width={80} onChange={(v: string) => set(i, { ...f, value: v === 'true' })} />
            )}
            {f.op !== 'in' && f.op !== 'exists' && type === 'string' && (
              <Input aria-label={t('rules.value')} value={String(f.value ?? '')} onChange={(e) => set(i, { ...f, value: e.target.value })} disabled={disabled} status={status('value')} style={{ width: 150 }} />
            )}
            {!disabled && <Button size="small" type="text" icon={<CloseOutlined />} aria-label={t('rules.removeFilter')} onClick={() => onChange(value.length > 1 ? value.filter((_, j) => j !== i) : undefined)} />}
          </Space>
        );
      })}
      {!disabled && value.length < 20 && (
        <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => onChange([...value, { property: '', op: 'eq', value: '' }])}>{t('rules.addFilter')}</Button>
      )}
    </Space>
  );
}
