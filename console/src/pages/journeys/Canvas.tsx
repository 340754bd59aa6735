import { Background, Controls, Handle, MarkerType, Position, ReactFlow, useReactFlow, type Edge, type Node, type NodeChange, type EdgeChange, type NodeProps, type Connection } from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { ArrowDownOutlined, ClockCircleOutlined, LogoutOutlined, StarOutlined } from '@ant-design/icons';
import { Badge, Tooltip, Typography } from 'antd';
import { useCallback, useMemo, type DragEvent } from 'react';
import { useTranslation } from 'react-i18next';
import { useFormat } from '../../format';
import { branchesOf, issueKey, TRIGGER_ID, type Definition, type JNode, type PlacedIssue } from './model';

export interface NodeCounts {
  entered: number;
  waiting: number;
  exited: number;
  converted: number;
}

interface CardData extends Record<string, unknown> {
  node?: JNode;
  trigger?: Definition['trigger'];
  branches: string[];
  issues: PlacedIssue[];
  counts?: NodeCounts;
  onPath?: boolean;
  selected: boolean;
}

export const typeColors: Record<string, string> = {
  trigger: '#722ed1', wait: '#13c2c2', wait_until: '#13c2c2', wait_for_event: '#13c2c2', condition: '#fa8c16', split: '#fa8c16',
  send: '#1677ff', webhook: '#1677ff', exit: '#8c8c8c',
};

/** One node on the canvas: its type, label, a one-line summary, errors from the server, counts and branch handles. */
function NodeCard({ data, id }: NodeProps<Node<CardData>>) {
  const { t, i18n } = useTranslation();
  const format = useFormat();
  const type = data.trigger ? 'trigger' : data.node!.type;
  const color = typeColors[type] ?? '#52c41a';
  const title = data.trigger ? t('journeys.trigger') : t(`journeys.nodeTypes.${type}`);
  const summary = data.trigger
    ? t(`journeys.triggerTypes.${data.trigger.type}`)
    : data.node!.label || data.node!.id;
  const issueText = (i: PlacedIssue) => {
    const key = issueKey(i.message);
    const message = key ? t(key) : i.message;
    if (!i.field) return message;
    const field = i.field.split(/[.[]/)[0]!;
    return `${i18n.exists(`journeys.fields.${field}`) ? t(`journeys.fields.${field}`) : i.field}: ${message}`;
  };
  const branchLabel = (b: string) => (i18n.exists(`journeys.branches.${b}`) ? t(`journeys.branches.${b}`) : b);
  return (
    <div data-testid="journey-node" data-node-id={id} data-node-type={type} data-on-path={data.onPath ? 'true' : undefined}
      style={{ width: 200, background: '#fff', border: `2px solid ${data.issues.length ? '#ff4d4f' : data.selected ? color : '#d9d9d9'}`, borderRadius: 8,
        boxShadow: data.onPath ? `0 0 0 4px ${color}55` : data.selected ? '0 2px 8px rgba(0,0,0,.15)' : undefined, fontSize: 12 }}>
      {!data.trigger && <Handle type="target" position={Position.Top} id="in" />}
      <div style={{ background: color, color: '#fff', padding: '2px 8px', borderRadius: '5px 5px 0 0', display: 'flex', justifyContent: 'space-between' }}>
        <span>{title}</span>
        {data.issues.length > 0 && <Badge count={data.issues.length} size="small" />}
      </div>
      <div style={{ padding: '4px 8px 14px' }}>
        <Typography.Text strong ellipsis style={{ display: 'block' }}>{summary}</Typography.Text>
        {data.issues.length > 0 && (
          <Tooltip title={data.issues.map(issueText).join('; ')}>
            <Typography.Text type="danger" data-testid="journey-node-error" ellipsis style={{ display: 'block' }}>{issueText(data.issues[0]!)}</Typography.Text>
          </Tooltip>
        )}
        {data.counts && (
          <div data-testid="node-counts" data-entered={data.counts.entered} style={{ display: 'flex', gap: 8, color: '#595959', marginTop: 2 }}>
            <span title={t('journeys.stats.entered')}><ArrowDownOutlined /> {format.number(data.counts.entered)}</span>
            <span title={t('journeys.stats.waiting')}><ClockCircleOutlined /> {format.number(data.counts.waiting)}</span>
            <span title={t('journeys.stats.exited')}><LogoutOutlined /> {format.number(data.counts.exited)}</span>
            <span title={t('journeys.stats.converted')}><StarOutlined /> {format.number(data.counts.converted)}</span>
          </div>
        )}
      </div>
      {data.branches.map((b, i) => {
        const left = `${((i + 1) / (data.branches.length + 1)) * 100}%`;
        return (
          <div key={b}>
            {data.branches.length > 1 && <span style={{ position: 'absolute', bottom: -18, left, transform: 'translateX(-50%)', fontSize: 11, color: '#8c8c8c', whiteSpace: 'nowrap' }}>{branchLabel(b)}</span>}
            <Handle type="source" position={Position.Bottom} id={b} style={{ left }} data-testid={`handle-${id}-${b}`} />
          </div>
        );
      })}
    </div>
  );
}

const nodeTypes = { card: NodeCard };

export function JourneyCanvas({ def, positions, selected, issues, counts, pathNodes, readOnly, onSelect, onMove, onConnect, onRemoveNode, onRemoveEdge, onDropType }: {
  def: Definition;
  positions: Record<string, { x: number; y: number }>;
  selected?: string;
  issues: PlacedIssue[];
  counts?: Record<string, NodeCounts>;
  pathNodes?: Set<string>;
  readOnly: boolean;
  onSelect: (id: string | undefined) => void;
  onMove: (id: string, position: { x: number; y: number }) => void;
  onConnect: (from: string, branch: string, to: string) => void;
  onRemoveNode: (id: string) => void;
  onRemoveEdge: (from: string, branch: string) => void;
  onDropType: (type: string, position: { x: number; y: number }) => void;
}) {
  const { t, i18n } = useTranslation();
  const flow = useReactFlow();
  const nodes = useMemo<Node<CardData>[]>(() => {
    const list: Node<CardData>[] = [
      { id: TRIGGER_ID, type: 'card', position: positions[TRIGGER_ID] ?? { x: 40, y: 30 }, deletable: false, selected: selected === TRIGGER_ID,
        data: { trigger: def.trigger, branches: ['next'], issues: issues.filter((i) => i.target === TRIGGER_ID), selected: selected === TRIGGER_ID } },
    ];
    for (const n of def.nodes) {
      list.push({ id: n.id, type: 'card', position: positions[n.id] ?? { x: 40, y: 200 }, selected: selected === n.id, deletable: !readOnly,
        data: { node: n, branches: branchesOf(n), issues: issues.filter((i) => i.target === n.id), counts: counts?.[n.id], onPath: pathNodes?.has(n.id), selected: selected === n.id } });
    }
    return list;
  }, [def, positions, selected, issues, counts, pathNodes, readOnly]);
  const edges = useMemo<Edge[]>(() => {
    const label = (b: string) => (b === 'next' ? undefined : i18n.exists(`journeys.branches.${b}`) ? t(`journeys.branches.${b}`) : b);
    const list: Edge[] = def.start ? [{ id: `${TRIGGER_ID}:next`, source: TRIGGER_ID, sourceHandle: 'next', target: def.start, targetHandle: 'in', markerEnd: { type: MarkerType.ArrowClosed } }] : [];
    for (const e of def.edges) {
      list.push({ id: `${e.from}:${e.branch}`, source: e.from, sourceHandle: e.branch, target: e.to, targetHandle: 'in', label: label(e.branch), markerEnd: { type: MarkerType.ArrowClosed },
        animated: Boolean(pathNodes?.has(e.from) && pathNodes.has(e.to)), deletable: !readOnly });
    }
    return list;
  }, [def, pathNodes, readOnly, t, i18n]);

  const onNodesChange = useCallback((changes: NodeChange<Node<CardData>>[]) => {
    for (const c of changes) {
      if (c.type === 'position' && c.position && !readOnly) onMove(c.id, c.position);
      if (c.type === 'select' && c.selected) onSelect(c.id);
      if (c.type === 'remove' && !readOnly && c.id !== TRIGGER_ID) onRemoveNode(c.id);
    }
  }, [onMove, onSelect, onRemoveNode, readOnly]);
  const onEdgesChange = useCallback((changes: EdgeChange[]) => {
    for (const c of changes) {
      if (c.type !== 'remove' || readOnly) continue;
      const [from, branch] = c.id.split(':');
      onRemoveEdge(from!, branch!);
    }
  }, [onRemoveEdge, readOnly]);
  const connectHandler = useCallback((c: Connection) => {
    if (!readOnly && c.source && c.target) onConnect(c.source, c.sourceHandle ?? 'next', c.target);
  }, [onConnect, readOnly]);
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    const type = e.dataTransfer.getData('application/x-siyu-node');
    if (type && !readOnly) onDropType(type, flow.screenToFlowPosition({ x: e.clientX - 100, y: e.clientY - 20 }));
  };

  return (
    <div data-testid="journey-canvas" style={{ height: '100%', minHeight: 560 }} onDragOver={(e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; }} onDrop={onDrop}>
      <ReactFlow nodes={nodes} edges={edges} nodeTypes={nodeTypes} onNodesChange={onNodesChange} onEdgesChange={onEdgesChange} onConnect={connectHandler}
        onPaneClick={() => onSelect(undefined)} nodesDraggable={!readOnly} nodesConnectable={!readOnly} elementsSelectable fitView fitViewOptions={{ maxZoom: 1 }}
        deleteKeyCode={readOnly ? null : ['Backspace', 'Delete']} proOptions={{ hideAttribution: true }} aria-label={t('journeys.canvas')}>
        <Background gap={16} />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
