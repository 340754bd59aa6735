import { DeleteOutlined } from '@ant-design/icons';
import { Alert, Button, Card, Form, Input, Select, Tabs, Typography } from 'antd';
import { useTranslation } from 'react-i18next';
import { SchemaForm, Hint } from './SchemaForm';
import { defaultTrigger, TRIGGER_ID, type Definition, type JNode, type JourneySchema, type PlacedIssue } from './model';

/** The side panel: the selected node's settings (or the trigger's), and the journey's policies. */
export function SidePanel({ def, schema, selected, issues, readOnly, tab, onTab, onChange, onRemove }: {
  def: Definition;
  schema: JourneySchema;
  selected?: string;
  issues: PlacedIssue[];
  readOnly: boolean;
  tab: string;
  onTab: (tab: string) => void;
  onChange: (def: Definition) => void;
  onRemove: (id: string) => void;
}) {
  const { t } = useTranslation();
  const node = def.nodes.find((n) => n.id === selected);
  const setNode = (next: JNode) => onChange({ ...def, nodes: def.nodes.map((n) => (n.id === next.id ? next : n)) });
  const policyIssues = issues.filter((i) => i.target === 'policies');
  const general = issues.filter((i) => i.target === '');

  let settings;
  if (selected === TRIGGER_ID) {
    const triggerSchema = schema.triggers[def.trigger.type];
    const mine = issues.filter((i) => i.target === TRIGGER_ID);
    settings = (
      <Form layout="vertical" data-testid="node-panel" data-node-id={TRIGGER_ID}>
        <Typography.Title level={5}>{t('journeys.trigger')}</Typography.Title>
        <Form.Item label={t('journeys.triggerType')} htmlFor="jf-trigger-type" style={{ marginBottom: 12 }}>
          <Select id="jf-trigger-type" value={def.trigger.type} disabled={readOnly} onChange={(type: string) => onChange({ ...def, trigger: defaultTrigger(type) })}
            options={Object.keys(schema.triggers).map((k) => ({ value: k, label: t(`journeys.triggerTypes.${k}`) }))} />
        </Form.Item>
        {mine.filter((i) => !i.field).map((i, n) => <Alert key={n} type="error" showIcon message={i.message} style={{ marginBottom: 8 }} />)}
        {triggerSchema && <SchemaForm schema={triggerSchema} value={def.trigger} onChange={(v) => onChange({ ...def, trigger: v as Definition['trigger'] })} issues={mine} readOnly={readOnly} skip={['type']} />}
        {!def.start && <Hint>{t('journeys.connectStart')}</Hint>}
      </Form>
    );
  } else if (node) {
    const mine = issues.filter((i) => i.target === node.id);
    const nodeSchema = schema.nodes[node.type];
    settings = (
      <Form layout="vertical" data-testid="node-panel" data-node-id={node.id}>
        <Typography.Title level={5}>{t(`journeys.nodeTypes.${node.type}`)} <Typography.Text type="secondary" code>{node.id}</Typography.Text></Typography.Title>
        <Hint>{t(`journeys.nodeHints.${node.type}`)}</Hint>
        {mine.filter((i) => !i.field).map((i, n) => <Alert key={n} type="error" showIcon message={i.message} style={{ marginBottom: 8 }} data-testid="node-panel-error" />)}
        <Form.Item label={t('journeys.fields.label')} htmlFor="jf-node-label" style={{ marginBottom: 12 }}>
          <Input id="jf-node-label" value={node.label ?? ''} disabled={readOnly} placeholder={node.id} onChange={(e) => setNode({ ...node, label: e.target.value || undefined })} />
        </Form.Item>
        {nodeSchema && <SchemaForm schema={nodeSchema} value={node} onChange={(v) => setNode(v as JNode)} issues={mine} readOnly={readOnly} skip={['id', 'type', 'label']} />}
        {!readOnly && <Button danger icon={<DeleteOutlined />} onClick={() => onRemove(node.id)}>{t('journeys.removeNode')}</Button>}
      </Form>
    );
  } else {
    settings = <Hint>{t('journeys.selectHint')}</Hint>;
  }

  return (
    <Card size="small" style={{ height: '100%', overflow: 'auto' }} styles={{ body: { paddingTop: 0 } }}>
      {general.map((i, n) => <Alert key={n} type="error" showIcon message={i.field ? `${i.field}: ${i.message}` : i.message} style={{ marginTop: 8 }} />)}
      <Tabs activeKey={tab} onChange={onTab} items={[
        { key: 'settings', label: t('journeys.settings'), children: settings },
        {
          key: 'policies',
          label: <span data-testid="policies-tab">{t('journeys.policies')}{policyIssues.length ? ` (${policyIssues.length})` : ''}</span>,
          children: (
            <Form layout="vertical" data-testid="policies-panel">
              <Hint>{t('journeys.policiesHint')}</Hint>
              <SchemaForm schema={schema.policies} value={def.policies} onChange={(policies) => onChange({ ...def, policies })} issues={policyIssues} readOnly={readOnly} skip={[]} />
            </Form>
          ),
        },
      ]} />
    </Card>
  );
}
