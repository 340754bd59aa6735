import { CheckCircleOutlined, PauseCircleOutlined, SaveOutlined, SendOutlined, TeamOutlined, WarningOutlined } from '@ant-design/icons';
import { ReactFlowProvider } from '@xyflow/react';
import { Alert, Button, Card, Input, Space, Spin, Switch, Tag, Tooltip, Typography } from 'antd';
import { useCallback, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { api, ApiError, useApi } from '../../api';
import { RuleOptionsProvider } from '../../components/rules';
import { ErrorState, errorText, Loaded } from '../../components/States';
import { navigate, useLocation } from '../../router';
import type { PageProps } from '../../routes';
import { useSession } from '../../session';
import { JourneyCanvas, typeColors, type NodeCounts } from './Canvas';
import { useJourneySchema, usePickers, useValidation, type Journey } from './data';
import { connect, defaultNode, editableDefinition, emptyDefinition, freeBranch, layout, newNodeId, PALETTE, placeIssues, removeNode, TRIGGER_ID, type Definition, type Issue, type JourneySchema } from './model';
import { PathDrawer, type JourneyPath } from './PathDrawer';
import { PickerContext } from './SchemaForm';
import { SidePanel } from './SidePanel';
import { useFeedback } from '../../feedback';

export const statusColors = { draft: 'default', published: 'green', paused: 'orange', archived: 'default' } as const;

/** The journey canvas: /journeys/new or /journeys/:id. */
export function JourneyEditorPage({ params }: PageProps) {
  const { t } = useTranslation();
  const schema = useJourneySchema();
  const journey = useApi<Journey>(params.id ? `/api/v1/journeys/${params.id}` : null);
  if (schema.error) return <ErrorState error={schema.error} onRetry={schema.reload} />;
  if (!schema.data) return <Spin tip={t('common.loading')} style={{ display: 'block', padding: 48 }}><div /></Spin>;
  if (!params.id) return <Editor key="new" schema={schema.data} />;
  return (
    <Loaded state={journey} feature={t('menu.journeys')}>
      {(j) => <Editor key={`${j.id}:${j.latestVersion}`} schema={schema.data!} journey={j} onSaved={journey.reload} />}
    </Loaded>
  );
}

function Editor({ schema, journey, onSaved }: { schema: JourneySchema; journey?: Journey; onSaved?: () => void }) {
  const { t } = useTranslation();
  const { message } = useFeedback();
  const { canWrite } = useSession();
  const { search } = useLocation();
  const pickers = usePickers();
  const readOnly = !canWrite || journey?.status === 'archived';
  const [name, setName] = useState(journey?.name ?? '');
  const [def, setDef] = useState<Definition>(() => (journey ? editableDefinition(journey.definition) : emptyDefinition()));
  const [positions, setPositions] = useState(() => layout(def, journey?.layout ?? {}));
  const [selected, setSelected] = useState<string | undefined>(TRIGGER_ID);
  const [tab, setTab] = useState('settings');
  const [serverIssues, setServerIssues] = useState<{ issues: Issue[]; forDef: string }>();
  const [busy, setBusy] = useState<string>();
  const [dirty, setDirty] = useState(!journey);
  const validation = useValidation(def, canWrite);
  const defText = JSON.stringify(def);
  // A refused save's errors stand until the definition changes; the live validation replaces them after.
  const rawIssues = serverIssues && serverIssues.forDef === defText ? serverIssues.issues : validation.issues;
  const issues = useMemo(() => placeIssues(rawIssues, def), [rawIssues, def]);

  const published = journey?.publishedVersion != null;
  const [showCounts, setShowCounts] = useState(true);
  const stats = useApi<{ entered: number; active: number; finished: number; exited: number; converted: number; nodes: (NodeCounts & { nodeId: string })[] }>(
    published && journey ? `/api/v1/journeys/${journey.id}/stats` : null);
  const counts = useMemo(() => (showCounts && stats.data ? Object.fromEntries(stats.data.nodes.map((n) => [n.nodeId, n])) : undefined), [showCounts, stats.data]);

  const profileParam = search.get('profile');
  const [peopleOpen, setPeopleOpen] = useState(Boolean(profileParam));
  const [profileId, setProfileId] = useState<number | undefined>(profileParam ? Number(profileParam) : undefined);
  const paths = useApi<{ data: JourneyPath[] }>(journey && profileId ? `/api/v1/profiles/${profileId}/journeys` : null, { journeyId: journey?.id });
  const path = paths.data?.data[0];
  const pathNodes = useMemo(() => (path ? new Set(path.steps.map((s) => s.nodeId).filter((x): x is string => Boolean(x))) : undefined), [path]);

  const change = useCallback((next: Definition) => {
    setDef(next);
    setDirty(true);
  }, []);

  const addNode = (type: string, at?: { x: number; y: number }) => {
    const id = newNodeId(def, type);
    let next: Definition = { ...def, nodes: [...def.nodes, defaultNode(type, id)] };
    // Added from the palette by click: attached below the selected node's first free branch.
    const from = at ? undefined : selected;
    const branch = from ? freeBranch(def, from) : undefined;
    if (from && branch) next = connect(next, from, branch, id);
    else if (!def.start && def.nodes.length === 0) next = { ...next, start: id };
    const base = from ? positions[from] : undefined;
    setPositions((p) => ({ ...p, [id]: at ?? (base ? { x: base.x, y: base.y + 140 } : { x: 40, y: 170 + def.nodes.length * 40 }) }));
    change(next);
    setSelected(id);
    setTab('settings');
  };

  const save = async (opts: { open?: boolean } = { open: true }): Promise<Journey | undefined> => {
    setBusy('save');
    try {
      // Positions are saved with the journey (of the nodes still on the canvas). Moved nodes alone are presentation:
      // sent without the definition, they change in place and a published journey gets no new version for them.
      const kept = new Set([TRIGGER_ID, ...def.nodes.map((n) => n.id)]);
      const positionsKept = Object.fromEntries(Object.entries(positions).filter(([id]) => kept.has(id)));
      const body = journey && !dirty ? { name: name.trim(), layout: positionsKept } : { name: name.trim(), definition: def, layout: positionsKept };
      const saved = journey
        ? await api<Journey>(`/api/v1/journeys/${journey.id}`, { method: 'PUT', body })
        : await api<Journey>('/api/v1/journeys', { method: 'POST', body });
      setServerIssues(undefined);
      setDirty(false);
      if (!journey && opts.open) navigate(`/journeys/${saved.id}`, { replace: true });
      return saved;
    } catch (err) {
      refused(err);
      return undefined;
    } finally {
      setBusy(undefined);
    }
  };
  const refused = (err: unknown) => {
    if (err instanceof ApiError && err.code === 'invalid_request' && err.details.length) {
      setServerIssues({ issues: err.details, forDef: defText });
      void message.error(t('journeys.fixIssues', { count: err.details.length }));
    } else if (err instanceof ApiError) void message.error(errorText(t, err));
    else throw err;
  };
  const lifecycle = async (action: 'publish' | 'pause') => {
    let id = journey?.id;
    if (action === 'publish' && (dirty || !id)) {
      const saved = await save({ open: false }); // a new journey opens once published
      if (!saved) return;
      id = saved.id;
    }
    setBusy(action);
    try {
      await api<Journey>(`/api/v1/journeys/${id}/${action}`, { method: 'POST' });
      void message.success(t(action === 'publish' ? 'journeys.publishedOk' : 'journeys.pausedOk'));
      if (journey) onSaved?.();
      else navigate(`/journeys/${id}`, { replace: true });
    } catch (err) {
      refused(err);
    } finally {
      setBusy(undefined);
    }
  };
  const onSaveClick = async () => {
    if (await save()) {
      void message.success(t('journeys.savedOk'));
      if (journey) onSaved?.();
    }
  };

  const problemCount = issues.length;
  return (
    <PickerContext.Provider value={pickers}>
      <RuleOptionsProvider>
        <Space style={{ width: '100%', justifyContent: 'space-between', marginBottom: 12 }} wrap>
          <Space wrap>
            <Input aria-label={t('journeys.name')} placeholder={t('journeys.namePlaceholder')} value={name} onChange={(e) => { setName(e.target.value); setDirty(true); }} disabled={readOnly}
              style={{ width: 300, fontWeight: 600 }} data-testid="journey-name" />
            {journey && <Tag color={statusColors[journey.status]} data-testid="journey-status">{t(`journeys.statuses.${journey.status}`)}</Tag>}
            {journey && <Typography.Text type="secondary">{t('journeys.versionOf', { latest: journey.latestVersion, published: journey.publishedVersion ?? '—' })}</Typography.Text>}
            {canWrite && (
              <span data-testid="journey-issues" data-count={validation.checking ? undefined : problemCount}>
                {validation.checking ? <Spin size="small" /> : problemCount ? <Tag icon={<WarningOutlined />} color="error">{t('journeys.problems', { count: problemCount })}</Tag>
                  : def.nodes.length ? <Tag icon={<CheckCircleOutlined />} color="success">{t('journeys.valid')}</Tag> : null}
              </span>
            )}
          </Space>
          <Space wrap>
            {published && (
              <Tooltip title={t('journeys.countsHint')}>
                <Space size={4}><Switch size="small" checked={showCounts} onChange={setShowCounts} aria-label={t('journeys.showCounts')} />{t('journeys.showCounts')}</Space>
              </Tooltip>
            )}
            {journey && <Button icon={<TeamOutlined />} onClick={() => setPeopleOpen(true)}>{t('journeys.people')}</Button>}
            {!readOnly && <Button icon={<SaveOutlined />} loading={busy === 'save'} disabled={!name.trim()} onClick={() => void onSaveClick()} data-testid="save-journey">{t('journeys.saveDraft')}</Button>}
            {!readOnly && journey?.status === 'published' && <Button icon={<PauseCircleOutlined />} loading={busy === 'pause'} onClick={() => void lifecycle('pause')}>{t('journeys.pause')}</Button>}
            {!readOnly && (journey?.status !== 'published' || dirty || journey.latestVersion !== journey.publishedVersion) && (
              <Button type="primary" icon={<SendOutlined />} loading={busy === 'publish'} disabled={!name.trim()} onClick={() => void lifecycle('publish')} data-testid="publish-journey">
                {journey?.status === 'paused' && !dirty ? t('journeys.resume') : t('journeys.publish')}
              </Button>
            )}
          </Space>
        </Space>
        {!canWrite && <Alert type="info" showIcon message={t('journeys.readOnly')} style={{ marginBottom: 12 }} />}
        {journey && journey.publishedVersion !== null && journey.latestVersion !== journey.publishedVersion && (
          <Alert type="info" showIcon message={t('journeys.draftOfPublished', { published: journey.publishedVersion })} style={{ marginBottom: 12 }} />
        )}
        {stats.data && showCounts && (
          <Space style={{ marginBottom: 8 }} data-testid="journey-totals">
            {(['entered', 'active', 'finished', 'converted'] as const).map((k) => <Tag key={k}>{t(`journeys.stats.${k}`)}: {stats.data![k]}</Tag>)}
          </Space>
        )}
        <div style={{ display: 'flex', gap: 12, height: 'calc(100vh - 230px)', minHeight: 560 }}>
          {!readOnly && <Palette onAdd={(type) => addNode(type)} />}
          <Card size="small" style={{ flex: 1, minWidth: 0 }} styles={{ body: { padding: 0, height: '100%' } }}>
            <ReactFlowProvider>
              <JourneyCanvas def={def} positions={positions} selected={selected} issues={issues} counts={counts} pathNodes={peopleOpen ? pathNodes : undefined} readOnly={readOnly}
                onSelect={(id) => { setSelected(id); if (id) setTab('settings'); }}
                onMove={(id, p) => setPositions((ps) => ({ ...ps, [id]: p }))}
                onConnect={(from, branch, to) => change(connect(def, from, branch, to))}
                onRemoveNode={(id) => change(removeNode(def, id))}
                onRemoveEdge={(from, branch) => change(from === TRIGGER_ID ? { ...def, start: '' } : { ...def, edges: def.edges.filter((e) => !(e.from === from && e.branch === branch)) })}
                onDropType={(type, at) => addNode(type, at)} />
            </ReactFlowProvider>
          </Card>
          <div style={{ width: 400, flex: '0 0 400px' }}>
            <SidePanel def={def} schema={schema} selected={selected} issues={issues} readOnly={readOnly} tab={tab} onTab={setTab} onChange={change}
              onRemove={(id) => { change(removeNode(def, id)); setSelected(undefined); }} />
          </div>
        </div>
        {journey && (
          <PathDrawer journeyId={journey.id} def={def} open={peopleOpen} onClose={() => setPeopleOpen(false)} profileId={profileId} onProfile={setProfileId} path={path} />
        )}
      </RuleOptionsProvider>
    </PickerContext.Provider>
  );
}

/** Node types to drag onto the canvas (or click: added below the selected node). */
function Palette({ onAdd }: { onAdd: (type: string) => void }) {
  const { t } = useTranslation();
  return (
    <Card size="small" title={t('journeys.palette')} style={{ width: 170, flex: '0 0 170px', overflow: 'auto' }} data-testid="journey-palette">
      {PALETTE.map((g) => (
        <div key={g.group} style={{ marginBottom: 8 }}>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>{t(`journeys.paletteGroups.${g.group}`)}</Typography.Text>
          {g.types.map((type) => (
            <div key={type} role="button" tabIndex={0} draggable data-testid={`palette-${type}`} title={t('journeys.paletteHint')}
              onDragStart={(e) => { e.dataTransfer.setData('application/x-siyu-node', type); e.dataTransfer.effectAllowed = 'move'; }}
              onClick={() => onAdd(type)} onKeyDown={(e) => (e.key === 'Enter' || e.key === ' ') && onAdd(type)}
              style={{ border: `1px solid ${typeColors[type] ?? '#52c41a'}`, borderLeftWidth: 4, borderRadius: 4, padding: '3px 6px', margin: '4px 0', cursor: 'grab', background: '#fff', fontSize: 12 }}>
              {t(`journeys.nodeTypes.${type}`)}
            </div>
          ))}
        </div>
      ))}
    </Card>
  );
}
