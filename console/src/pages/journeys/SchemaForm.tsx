import { DeleteOutlined, PlusOutlined } from '@ant-design/icons';
import { AutoComplete, Button, Form, Input, InputNumber, Select, Space, Switch, Typography } from 'antd';
import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { RuleBuilder, editableRule } from '../../components/rules';
import { issueKey, type JsonSchema, type PlacedIssue } from './model';

/** What the pickers offer: the workspace's channels, templates, tags, segments, coupon templates and events. */
export interface PickerOptions {
  channels: { id: string; name: string; channel: string; provider: string }[];
  templates: { id: string; name: string; channel: string }[];
  tags: { id: string; name: string }[];
  segments: { id: string; name: string }[];
  coupons: { id: string; name: string }[];
  events: string[];
}
export const PickerContext = createContext<PickerOptions>({ channels: [], templates: [], tags: [], segments: [], coupons: [], events: [] });

type Value = Record<string, unknown>;

interface FieldProps {
  name: string;
  path: string;
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  required: boolean;
  /** The object this field is in (e.g. a send node: its channelId narrows the templates). */
  parent: Value;
  issues: PlacedIssue[];
  readOnly: boolean;
}

const fieldId = (path: string) => `jf-${path.replace(/[^\w-]/g, '_')}`;
const issuesUnder = (issues: PlacedIssue[], path: string) => issues.filter((i) => i.field === path || i.field.startsWith(`${path}.`) || i.field.startsWith(`${path}[`));

/** The default value a schema gives a new object (nested defaults included). */
export function defaultsOf(schema: JsonSchema): Value {
  const out: Value = {};
  for (const [k, s] of Object.entries(schema.properties ?? {})) {
    if (s.default !== undefined) out[k] = structuredClone(s.default);
    else if (s.type === 'array') out[k] = [];
    else if (s.type === 'string' && (schema.required ?? []).includes(k)) out[k] = '';
  }
  return out;
}

/**
 * A form generated from a JSON Schema object (a node type, a trigger, the policies): strings, numbers, enums,
 * switches, nested and optional objects, lists of objects, and pickers for ids, rules and events.
 */
export function SchemaForm({ schema, value, onChange, issues, readOnly, skip = ['id', 'type'], pathPrefix = '' }: {
  schema: JsonSchema;
  value: Value;
  onChange: (value: Value) => void;
  issues: PlacedIssue[];
  readOnly: boolean;
  skip?: string[];
  pathPrefix?: string;
}) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {})
        .filter(([k]) => !skip.includes(k))
        .map(([k, s]) => (
          <Field key={k} name={k} path={pathPrefix ? `${pathPrefix}.${k}` : k} schema={s} value={value[k]} required={required.has(k)} parent={value} issues={issues} readOnly={readOnly}
            onChange={(v) => {
              const next = { ...value };
              if (v === undefined) delete next[k];
              else next[k] = v;
              onChange(next);
            }} />
        ))}
    </>
  );
}

function useLabel() {
  const { t, i18n } = useTranslation();
  return {
    field: (name: string) => (i18n.exists(`journeys.fields.${name}`) ? t(`journeys.fields.${name}`) : name),
    value: (v: string | number) => {
      const s = String(v);
      if (i18n.exists(`journeys.values.${s}`)) return t(`journeys.values.${s}`);
      if (i18n.exists(`rules.ops.${s}`)) return t(`rules.ops.${s}`);
      return s;
    },
  };
}

function Field(props: FieldProps) {
  const { name, path, schema, value, required, issues, readOnly } = props;
  const label = useLabel();
  const { t } = useTranslation();
  const words = (message: string) => { const key = issueKey(message); return key ? t(key) : message; };
  const mine = issuesUnder(issues, path);
  const own = mine.filter((i) => i.field === path);
  const isObject = schema.type === 'object' && schema.properties && name !== 'traits' && name !== 'payload';
  const isList = schema.type === 'array' && schema.items?.type === 'object';
  const control = <Control {...props} />;
  if (isObject || isList) {
    return (
      <fieldset className="journey-fieldset" style={{ border: '1px solid #f0f0f0', borderRadius: 6, padding: '4px 10px 2px', marginBottom: 12 }}>
        <legend style={{ fontSize: 13, width: 'auto', padding: '0 4px', marginBottom: 4, border: 0 }}>{label.field(name)}</legend>
        {own.map((i, n) => <Typography.Text key={n} type="danger" style={{ display: 'block' }}>{words(i.message)}</Typography.Text>)}
        {control}
      </fieldset>
    );
  }
  return (
    <Form.Item label={label.field(name)} htmlFor={fieldId(path)} required={required} validateStatus={mine.length ? 'error' : undefined}
      help={mine.length ? mine.map((i) => words(i.message)).join('; ') : undefined} style={{ marginBottom: 12 }}>
      {readOnly && value === undefined ? <Typography.Text type="secondary">—</Typography.Text> : control}
    </Form.Item>
  );
}

function Control({ name, path, schema, value, onChange, required, parent, issues, readOnly }: FieldProps) {
  const { t } = useTranslation();
  const label = useLabel();
  const pick = useContext(PickerContext);
  const id = fieldId(path);
  const select = (options: { value: string; label: string }[], placeholder?: string) => (
    <Select id={id} value={(value as string) || undefined} onChange={onChange} options={options} disabled={readOnly} showSearch optionFilterProp="label" placeholder={placeholder} allowClear={!required} />
  );

  if (schema.$ref?.endsWith('/Rule')) {
    return value === undefined && !required ? (
      <Button size="small" disabled={readOnly} onClick={() => onChange({ version: 1, condition: { kind: 'and', conditions: [] } })}>{t('journeys.addRule')}</Button>
    ) : (
      <Space direction="vertical" style={{ width: '100%' }}>
        <RuleBuilder value={editableRule(value)} onChange={onChange} readOnly={readOnly} errors={issuesUnder(issues, path).map((i) => ({ path: i.field, message: i.message }))} />
        {!required && !readOnly && <Button size="small" onClick={() => onChange(undefined)}>{t('journeys.removeRule')}</Button>}
      </Space>
    );
  }
  switch (name) {
    case 'channelId': {
      const webhookOnly = parent.type === 'webhook';
      return select(pick.channels.filter((c) => !webhookOnly || c.channel === 'webhook').map((c) => ({ value: c.id, label: `${c.name} · ${t(`messaging.channelKinds.${c.channel}`)}` })), t('journeys.chooseChannel'));
    }
    case 'templateId': {
      const channel = pick.channels.find((c) => c.id === parent.channelId)?.channel;
      return select(pick.templates.filter((tp) => !channel || tp.channel === channel).map((tp) => ({ value: tp.id, label: tp.name })), t('journeys.chooseTemplate'));
    }
    case 'tagId':
      return select(pick.tags.map((x) => ({ value: x.id, label: x.name })), t('rules.chooseTag'));
    case 'segmentId':
      return select(pick.segments.map((x) => ({ value: x.id, label: x.name })), t('rules.chooseSegment'));
    case 'couponTemplateId':
      return select(pick.coupons.map((x) => ({ value: x.id, label: x.name })), t('journeys.chooseCoupon'));
    case 'event':
      return <AutoComplete id={id} value={(value as string) ?? ''} onChange={(v) => onChange(v === '' && !required ? undefined : v)} disabled={readOnly} placeholder={t('journeys.eventPlaceholder')}
        options={pick.events.map((e) => ({ value: e }))} filterOption={(input, o) => String(o?.value).toLowerCase().includes(input.toLowerCase())} />;
    case 'weekdays':
      return <Select id={id} mode="multiple" value={(value as number[]) ?? []} onChange={(v: number[]) => onChange(v.length ? v : undefined)} disabled={readOnly} placeholder={t('journeys.anyDay')}
        options={[1, 2, 3, 4, 5, 6, 7].map((d) => ({ value: d, label: t(`journeys.weekdays.${d}`) }))} />;
    case 'traits':
    case 'payload':
      return <JsonInput id={id} value={value} onChange={onChange} readOnly={readOnly} />;
  }
  const type = Array.isArray(schema.type) ? 'scalar' : schema.type;
  if (schema.enum) return select(schema.enum.map((v) => ({ value: String(v), label: label.value(v) })));
  if (type === 'boolean') return <Switch id={id} checked={Boolean(value ?? schema.default)} onChange={onChange} disabled={readOnly} />;
  if (type === 'integer' || type === 'number') {
    return <InputNumber id={id} value={value as number | undefined} onChange={(v) => onChange(v ?? undefined)} min={schema.minimum} max={schema.maximum} precision={type === 'integer' ? 0 : undefined} disabled={readOnly} style={{ width: '100%' }} />;
  }
  if (type === 'object' && schema.properties) {
    if (value === undefined && !required && schema.default === undefined) {
      return <Switch id={id} checked={false} disabled={readOnly} onChange={(on) => on && onChange(defaultsOf(schema))} aria-label={label.field(name)} />;
    }
    return (
      <>
        {!required && schema.default === undefined && !readOnly && (
          <Button size="small" type="link" style={{ padding: 0 }} onClick={() => onChange(undefined)}>{t('journeys.turnOff')}</Button>
        )}
        <SchemaForm schema={schema} value={(value as Value) ?? defaultsOf(schema)} onChange={onChange} issues={issues} readOnly={readOnly} pathPrefix={path} skip={[]} />
      </>
    );
  }
  if (type === 'array' && schema.items?.type === 'object') {
    const list = (value as Value[]) ?? [];
    return (
      <Space direction="vertical" style={{ width: '100%' }}>
        {list.map((item, i) => (
          <div key={i} style={{ borderLeft: '3px solid #e6f4ff', paddingLeft: 8 }}>
            <SchemaForm schema={schema.items!} value={item} onChange={(v) => onChange(list.map((x, j) => (j === i ? v : x)))} issues={issues} readOnly={readOnly} pathPrefix={`${path}[${i}]`} skip={[]} />
            {!readOnly && <Button size="small" danger icon={<DeleteOutlined />} onClick={() => onChange(list.filter((_, j) => j !== i))}>{t('journeys.removeItem')}</Button>}
          </div>
        ))}
        {!readOnly && <Button size="small" icon={<PlusOutlined />} onClick={() => onChange([...list, defaultsOf(schema.items!)])}>{t('journeys.addItem', { what: label.field(name) })}</Button>}
      </Space>
    );
  }
  if (type === 'scalar') {
    return <Input id={id} value={value === undefined ? '' : String(value)} disabled={readOnly}
      onChange={(e) => { const s = e.target.value; onChange(s === '' ? undefined : s === 'true' || s === 'false' ? s === 'true' : Number.isFinite(Number(s)) ? Number(s) : s); }} />;
  }
  return <Input id={id} value={(value as string) ?? ''} onChange={(e) => onChange(e.target.value === '' && !required ? undefined : e.target.value)} disabled={readOnly}
    placeholder={schema.pattern?.includes(':[0-5]') ? 'HH:MM' : undefined} />;
}

/** A JSON object typed as text: kept as the last valid value, with the parse error shown while it is not. */
function JsonInput({ id, value, onChange, readOnly }: { id: string; value: unknown; onChange: (v: unknown) => void; readOnly: boolean }) {
  const { t } = useTranslation();
  const [text, setText] = useState(() => JSON.stringify(value ?? {}, null, 2));
  const [bad, setBad] = useState(false);
  useEffect(() => {
    try {
      if (JSON.stringify(JSON.parse(text)) !== JSON.stringify(value ?? {})) setText(JSON.stringify(value ?? {}, null, 2));
    } catch {
      // the operator is typing: keep their text
    }
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [value]);
  return (
    <>
      <Input.TextArea id={id} value={text} rows={4} disabled={readOnly} style={{ fontFamily: 'monospace' }} status={bad ? 'error' : undefined}
        onChange={(e) => {
          setText(e.target.value);
          try {
            const parsed = JSON.parse(e.target.value) as unknown;
            if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
            setBad(false);
            onChange(parsed);
          } catch {
            setBad(true);
          }
        }} />
      {bad && <Typography.Text type="danger">{t('journeys.badJson')}</Typography.Text>}
    </>
  );
}

export function Hint({ children }: { children: ReactNode }) {
  return <Typography.Paragraph type="secondary" style={{ fontSize: 12, marginBottom: 8 }}>{children}</Typography.Paragraph>;
}
