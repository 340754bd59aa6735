import { DeleteOutlined, PlusOutlined, StopOutlined, UndoOutlined } from '@ant-design/icons';
import { Button, Segmented, Select, Space, Spin, Tooltip, Typography } from 'antd';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';
import { ErrorState, NotAvailable } from '../States';
import { ConditionFields } from './ConditionFields';
import { useRuleOptions } from './data';
import { NodeErrors } from './fields';
import { childPath, defaultCondition, errorsByNode, isGroup, leafKinds, nodePaths, notPath, type NodeError, type Rule, type RuleNode, type RuleSchema } from './model';

export interface RuleBuilderProps {
  value: Rule;
  onChange: (rule: Rule) => void;
  /** Error details from the server (`body.rule.condition.conditions[1].op`): shown on the offending node. */
  errors?: { path?: string; message: string }[];
  readOnly?: boolean;
}

const MAX_DEPTH = 4;
const groupColors = ['#1677ff', '#13c2c2', '#722ed1', '#fa8c16'];

interface NodeProps {
  node: RuleNode;
  path: string;
  depth: number;
  onChange: (node: RuleNode) => void;
  onRemove?: () => void;
  errors: Map<string, NodeError[]>;
  readOnly: boolean;
  schema: RuleSchema;
}

/**
 * The visual editor of the rule language: AND / OR groups, NOT, and leaf conditions of every kind the schema
 * describes. Reusable (tags, segments, later the journey canvas): it edits a rule value and shows given errors.
 */
export function RuleBuilder({ value, onChange, errors = [], readOnly = false }: RuleBuilderProps) {
  const { t } = useTranslation();
  const { schema, schemaError } = useRuleOptions();
  const byNode = useMemo(() => errorsByNode(errors, nodePaths(value.condition)), [errors, value.condition]);
  if (schemaError?.missingRoute) return <NotAvailable feature={t('rules.builder')} />;
  if (schemaError) return <ErrorState error={schemaError} />;
  if (!schema) return <Spin />;
  return (
    <div data-testid="rule-builder" aria-label={t('rules.builder')} role="group">
      <NodeView node={value.condition} path="condition" depth={0} onChange={(condition) => onChange({ ...value, condition })} errors={byNode} readOnly={readOnly} schema={schema} />
    </div>
  );
}

function NodeView(props: NodeProps) {
  if (isGroup(props.node)) return <GroupView {...props} />;
  if (props.node.kind === 'not') return <NotView {...props} />;
  return <LeafView {...props} />;
}

function GroupView({ node, path, depth, onChange, onRemove, errors, readOnly, schema }: NodeProps) {
  const { t } = useTranslation();
  const group = node as RuleNode & { kind: 'and' | 'or'; conditions: RuleNode[] };
  const setChild = (i: number, child: RuleNode) => onChange({ ...group, conditions: group.conditions.map((c, j) => (j === i ? child : c)) });
  const removeChild = (i: number) => onChange({ ...group, conditions: group.conditions.filter((_, j) => j !== i) });
  const add = (child: RuleNode) => onChange({ ...group, conditions: [...group.conditions, child] });
  const color = groupColors[depth % groupColors.length];
  return (
    <div data-testid="rule-group" style={{ borderLeft: `3px solid ${color}`, background: depth % 2 ? '#fafafa' : '#fff', padding: '8px 12px', borderRadius: 6, border: '1px solid #f0f0f0', borderLeftWidth: 3, borderLeftColor: color }}>
      <Space style={{ marginBottom: 8 }} wrap>
        <Segmented
          aria-label={t('rules.combine')}
          size="small"
          value={group.kind}
          disabled={readOnly}
          onChange={(kind) => onChange({ ...group, kind: kind as 'and' | 'or' })}
          options={[{ value: 'and', label: t('rules.and') }, { value: 'or', label: t('rules.or') }]}
        />
        <Typography.Text type="secondary">{t(group.kind === 'and' ? 'rules.andHint' : 'rules.orHint')}</Typography.Text>
        {!readOnly && onRemove && <NodeActions onNegate={() => onChange({ kind: 'not', condition: group })} onRemove={onRemove} />}
      </Space>
      <NodeErrors errors={errors.get(path) ?? []} />
      <Space direction="vertical" size={6} style={{ width: '100%' }}>
        {group.conditions.length === 0 && <Typography.Text type="secondary">{t('rules.emptyGroup')}</Typography.Text>}
        {group.conditions.map((child, i) => (
          <div key={i}>
            {i > 0 && <Typography.Text strong style={{ color, fontSize: 12 }}>{t(group.kind === 'and' ? 'rules.andJoin' : 'rules.orJoin')}</Typography.Text>}
            <NodeView node={child} path={childPath(path, i)} depth={depth + 1} onChange={(c) => setChild(i, c)} onRemove={() => removeChild(i)} errors={errors} readOnly={readOnly} schema={schema} />
          </div>
        ))}
      </Space>
      {!readOnly && (
        <Space style={{ marginTop: 8 }}>
          <Button size="small" icon={<PlusOutlined />} onClick={() => add(defaultCondition('trait', schema))} disabled={group.conditions.length >= 50}>{t('rules.addCondition')}</Button>
          {depth < MAX_DEPTH - 1 && (
            <Button size="small" type="dashed" icon={<PlusOutlined />} onClick={() => add({ kind: group.kind === 'and' ? 'or' : 'and', conditions: [defaultCondition('trait', schema)] })} disabled={group.conditions.length >= 50}>
              {t('rules.addGroup')}
            </Button>
          )}
        </Space>
      )}
    </div>
  );
}

function NotView({ node, path, depth, onChange, onRemove, errors, readOnly, schema }: NodeProps) {
  const { t } = useTranslation();
  const inner = node.condition as RuleNode;
  return (
    <div data-testid="rule-not" style={{ border: '1px dashed #ff4d4f', borderRadius: 6, padding: '6px 10px' }}>
      <Space style={{ marginBottom: 6 }}>
        <Typography.Text strong type="danger">{t('rules.not')}</Typography.Text>
        {!readOnly && (
          <Tooltip title={t('rules.unnegate')}>
            <Button size="small" type="text" icon={<UndoOutlined />} aria-label={t('rules.unnegate')} onClick={() => onChange(inner)} />
          </Tooltip>
        )}
        {!readOnly && onRemove && (
          <Tooltip title={t('rules.remove')}>
            <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('rules.remove')} onClick={onRemove} />
          </Tooltip>
        )}
      </Space>
      <NodeErrors errors={errors.get(path) ?? []} />
      <NodeView node={inner} path={notPath(path)} depth={depth} onChange={(c) => onChange({ kind: 'not', condition: c })} errors={errors} readOnly={readOnly} schema={schema} />
    </div>
  );
}

function LeafView({ node, path, onChange, onRemove, errors, readOnly, schema }: NodeProps) {
  const { t } = useTranslation();
  const mine = errors.get(path) ?? [];
  return (
    <div data-testid="rule-condition" data-kind={node.kind} style={{ padding: '6px 8px', borderRadius: 6, border: `1px solid ${mine.length ? '#ff4d4f' : '#f0f0f0'}`, background: mine.length ? '#fff2f0' : '#fff' }}>
      <div style={{ display: 'flex', gap: 8, alignItems: 'flex-start' }}>
        <Select
          aria-label={t('rules.kindLabel')}
          value={node.kind}
          disabled={readOnly}
          style={{ width: 170, flex: 'none' }}
          popupMatchSelectWidth={false}
          onChange={(kind: string) => onChange(defaultCondition(kind, schema))}
          options={leafKinds(schema).map((k) => ({ value: k, label: t(`rules.kinds.${k}`, { defaultValue: k }) }))}
        />
        <div style={{ flex: 1, minWidth: 0 }}>
          <ConditionFields node={node} onChange={onChange} errors={mine} disabled={readOnly} schema={schema} />
        </div>
        {!readOnly && onRemove && <NodeActions onNegate={() => onChange({ kind: 'not', condition: node })} onRemove={onRemove} />}
      </div>
      <NodeErrors errors={mine} />
    </div>
  );
}

function NodeActions({ onNegate, onRemove }: { onNegate: () => void; onRemove: () => void }) {
  const { t } = useTranslation();
  return (
    <Space size={0}>
      <Tooltip title={t('rules.negate')}>
        <Button size="small" type="text" icon={<StopOutlined />} aria-label={t('rules.negate')} onClick={onNegate} />
      </Tooltip>
      <Tooltip title={t('rules.remove')}>
        <Button size="small" type="text" danger icon={<DeleteOutlined />} aria-label={t('rules.remove')} onClick={onRemove} />
      </Tooltip>
    </Space>
  );
}
