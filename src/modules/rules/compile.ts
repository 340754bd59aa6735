import { sql, type RawBuilder } from 'kysely';
import { addDays, anniversaryDays, daysBefore, instant, windowBounds, type EvalContext } from './clock.js';
import { COUNTED_ORDER_STATUSES } from './evaluate.js';
import type { Compare, Condition, ConditionOf, PropertyFilter, TimeOp, TraitType, Window } from './schema.js';
import { filterType } from './values.js';

/**
 * The batch evaluator: compiles a rule to one set-based query over a whole workspace. Each aggregate leaf (event
 * counts, sums, first/last times, order measures) becomes a GROUP BY in a CTE, LEFT JOINed to the live profiles,
 * so the planner can hash-join instead of probing per profile. Every leaf is COALESCEd to a strict boolean, so
 * NOT and OR have two-valued logic exactly as in evaluate.ts.
 */
type Sql = RawBuilder<unknown>;

interface Compilation {
  workspaceId: string;
  ctx: EvalContext;
  ctes: Sql[];
  joins: Sql[];
}

/** `SELECT profile_id FROM … WHERE rule holds`, for the live profiles of a workspace. */
export function compileRule(condition: Condition, workspaceId: string, ctx: EvalContext): RawBuilder<{ profile_id: number }> {
  const comp: Compilation = { workspaceId, ctx, ctes: [], joins: [] };
  const predicate = compile(condition, comp);
  const withClause = comp.ctes.length ? sql`WITH ${sql.join(comp.ctes, sql`, `)} ` : sql``;
  return sql<{ profile_id: number }>`${withClause}SELECT p.id AS profile_id FROM profiles p ${sql.join(comp.joins, sql` `)}
    WHERE p.workspace_id = ${workspaceId} AND p.merged_into IS NULL AND ${predicate}`;
}

function compile(c: Condition, comp: Compilation): Sql {
  switch (c.kind) {
    case 'and':
      return sql`(${sql.join(c.conditions.map((x) => compile(x, comp)), sql` AND `)})`;
    case 'or':
      return sql`(${sql.join(c.conditions.map((x) => compile(x, comp)), sql` OR `)})`;
    case 'not':
      return sql`(NOT ${compile(c.condition, comp)})`;
    default:
      return sql`COALESCE(${leaf(c, comp)}, false)`;
  }
}

const num = (v: number) => sql`${String(v)}::numeric`;
const cmp = (left: Sql, op: Compare, right: Sql): Sql => sql`(${left} ${sql.raw(sqlOps[op])} ${right})`;
const sqlOps: Record<Compare, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };

/** Adds `cte_N AS (…)` keyed by profile_id, LEFT JOINed to p; returns the alias. */
function aggregate(comp: Compilation, body: Sql): string {
  const alias = `agg_${comp.ctes.length}`;
  comp.ctes.push(sql`${sql.raw(alias)} AS (${body})`);
  comp.joins.push(sql`LEFT JOIN ${sql.raw(alias)} ON ${sql.raw(alias)}.profile_id = p.id`);
  return alias;
}

function leaf(c: Exclude<Condition, { kind: 'and' | 'or' | 'not' }>, comp: Compilation): Sql {
  const ws = comp.workspaceId;
  switch (c.kind) {
    case 'trait':
      return traitSql(sql`(p.traits #> ${c.trait.split('.')}::text[])`, c, comp.ctx);
    case 'event': {
      const a = aggregate(comp, sql`SELECT e.profile_id, count(*) AS n FROM events e WHERE ${eventFilter(c.event, c.where, c.window, comp)} GROUP BY e.profile_id`);
      return cmp(sql`COALESCE(${sql.ref(`${a}.n`)}, 0)`, c.count?.op ?? 'gte', num(c.count?.value ?? 1));
    }
    case 'event_aggregate': {
      const v = typedJson(sql`(e.properties #> ${c.property.split('.')}::text[])`, 'number');
      const a = aggregate(
        comp,
        sql`SELECT e.profile_id, sum(${v}) AS s, count(${v}) AS n, min(${v}) AS lo, max(${v}) AS hi FROM events e
            WHERE ${eventFilter(c.event, c.where, c.window, comp)} GROUP BY e.profile_id`,
      );
      const col = (name: string) => sql.ref(`${a}.${name}`);
      if (c.fn === 'sum') return cmp(sql`COALESCE(${col('s')}, 0)`, c.op, num(c.value));
      if (c.fn === 'avg') return sql`(${col('n')} > 0 AND ${cmp(col('s'), c.op, sql`${num(c.value)} * ${col('n')}`)})`;
      return cmp(col(c.fn === 'min' ? 'lo' : 'hi'), c.op, num(c.value));
    }
    case 'event_time': {
      const fn = sql.raw(c.which === 'first' ? 'min' : 'max');
      const a = aggregate(comp, sql`SELECT e.profile_id, ${fn}(e."timestamp") AS t FROM events e WHERE ${eventFilter(c.event, c.where, undefined, comp)} GROUP BY e.profile_id`);
      return timeSql(sql.ref(`${a}.t`), c.op, c.date, c.days, comp.ctx);
    }
    case 'order': {
      const a = aggregate(comp, sql`SELECT o.profile_id, count(*) AS n, sum(o.paid_amount - o.refunded_amount) AS s FROM orders o WHERE ${orderFilter(c, comp)} GROUP BY o.profile_id`);
      const n = sql`COALESCE(${sql.ref(`${a}.n`)}, 0)`;
      const s = sql`COALESCE(${sql.ref(`${a}.s`)}, 0)`;
      if (c.measure === 'count') return cmp(n, c.op, num(c.value));
      if (c.measure === 'total') return cmp(s, c.op, num(c.value));
      return sql`(${n} > 0 AND ${cmp(s, c.op, sql`${num(c.value)} * ${n}`)})`;
    }
    case 'order_time': {
      const fn = sql.raw(c.which === 'first' ? 'min' : 'max');
      const a = aggregate(comp, sql`SELECT o.profile_id, ${fn}(o.ordered_at) AS t FROM orders o WHERE ${orderFilter({ store: c.store, channel: c.channel }, comp)} GROUP BY o.profile_id`);
      return timeSql(sql.ref(`${a}.t`), c.op, c.date, c.days, comp.ctx);
    }
    case 'bought': {
      const items = [sql`i.quantity > i.refunded_quantity`];
      if (c.sku !== undefined) items.push(sql`i.sku = ${c.sku}`);
      if (c.category !== undefined) items.push(sql`i.category = ${c.category}`);
      const a = aggregate(
        comp,
        sql`SELECT DISTINCT o.profile_id FROM orders o JOIN order_items i ON i.workspace_id = o.workspace_id AND i.order_id = o.order_id
            WHERE ${orderFilter(c, comp)} AND ${sql.join(items, sql` AND `)}`,
      );
      return sql`(${sql.ref(`${a}.profile_id`)} IS NOT NULL)`;
    }
    case 'tag':
      return sql`(${sql.raw(c.op === 'has' ? '' : 'NOT ')}EXISTS (SELECT 1 FROM tag_assignments ta WHERE ta.workspace_id = ${ws}
        AND ta.profile_id = p.id AND ta.tag_id = ${c.tag}${c.value === undefined ? sql`` : sql` AND ta.value = ${c.value}`}))`;
    case 'segment':
      return sql`(${sql.raw(c.op === 'in' ? '' : 'NOT ')}EXISTS (SELECT 1 FROM segment_members sm WHERE sm.workspace_id = ${ws}
        AND sm.profile_id = p.id AND sm.segment_id = ${c.segment}))`;
    case 'lifecycle':
      return sql`EXISTS (SELECT 1 FROM profile_lifecycle pl WHERE pl.workspace_id = ${ws} AND pl.profile_id = p.id AND pl.stage = ANY(${c.stages}::text[]))`;
    case 'rfm': {
      const parts = [sql`r.workspace_id = ${ws}`, sql`r.profile_id = p.id`];
      if (c.classes) parts.push(sql`r.class8 = ANY(${c.classes}::text[])`);
      for (const [dim, range] of [['r_score', c.r], ['f_score', c.f], ['m_score', c.m]] as const) {
        if (range) parts.push(sql`${sql.ref(`r.${dim}`)} BETWEEN ${range[0]} AND ${range[1]}`);
      }
      return sql`EXISTS (SELECT 1 FROM profile_rfm r WHERE ${sql.join(parts, sql` AND `)})`;
    }
    case 'identifier':
      return sql`(${sql.raw(c.op === 'has' ? '' : 'NOT ')}EXISTS (SELECT 1 FROM identifiers i WHERE i.workspace_id = ${ws}
        AND i.profile_id = p.id AND i.type = ${c.type}))`;
    case 'consent':
      return sql`((p.traits -> 'consents') -> ${c.channel}) = 'true'::jsonb`;
  }
}

function typedJson(json: Sql, type: TraitType): Sql {
  switch (type) {
    case 'string':
      return sql`(CASE WHEN jsonb_typeof(${json}) = 'string' THEN ${json} #>> '{}' END)`;
    case 'number':
      return sql`(CASE WHEN jsonb_typeof(${json}) = 'number' THEN (${json} #>> '{}')::numeric END)`;
    case 'boolean':
      return sql`(CASE WHEN jsonb_typeof(${json}) = 'boolean' THEN (${json} #>> '{}')::boolean END)`;
    case 'date':
      return sql`(rules_trait_date(${json}))::date`;
  }
}

/** Mirrors values.ts traitHolds. */
function traitSql(json: Sql, c: Pick<ConditionOf<'trait'>, 'type' | 'op' | 'value' | 'values' | 'days'>, ctx: EvalContext): Sql {
  const v = typedJson(json, c.type);
  const literal = (x: unknown): Sql =>
    c.type === 'number' ? num(Number(x)) : c.type === 'boolean' ? sql`${Boolean(x)}::boolean` : c.type === 'date' ? sql`${String(x)}::date` : sql`${String(x)}::text`;
  const values = c.values ?? [];
  const positive = (op: typeof c.op): Sql => {
    switch (op) {
      case 'exists':
        return sql`(${v} IS NOT NULL)`;
      case 'eq':
      case 'on':
        return sql`(${v} = ${literal(c.value)})`;
      case 'in':
        return values.length ? sql`(${v} IN (${sql.join(values.map(literal))}))` : sql`false`;
      case 'contains':
        return sql`(strpos(${v}, ${String(c.value)}) > 0)`;
      case 'starts_with':
        return sql`(left(${v}, length(${String(c.value)})) = ${String(c.value)})`;
      case 'gt':
      case 'gte':
      case 'lt':
      case 'lte':
        return cmp(v, c.op as Compare, literal(c.value));
      case 'between':
        return sql`(${v} >= ${literal(values[0])} AND ${v} <= ${literal(values[1])})`;
      case 'before':
        return sql`(${v} < ${literal(c.value)})`;
      case 'after':
        return sql`(${v} > ${literal(c.value)})`;
      case 'within_last_days':
        return sql`(${v} >= ${addDays(ctx.today, -(c.days ?? 0))}::date AND ${v} <= ${ctx.today}::date)`;
      case 'anniversary_within_days':
        return sql`(to_char(${v}, 'MM-DD') = ANY(${anniversaryDays(ctx.today, c.days ?? 0)}::text[]))`;
      default:
        return sql`false`;
    }
  };
  if (c.op === 'neq') return sql`(NOT COALESCE(${positive('eq')}, false))`;
  if (c.op === 'not_in') return sql`(NOT COALESCE(${positive('in')}, false))`;
  if (c.op === 'not_exists') return sql`(${v} IS NULL)`;
  return positive(c.op);
}

function filterSql(f: PropertyFilter): Sql {
  const json = sql`(e.properties #> ${f.property.split('.')}::text[])`;
  if (f.op === 'exists') return sql`COALESCE(jsonb_typeof(${json}) <> 'null', false)`;
  const type = filterType(f);
  if (!type) return sql`false`;
  return sql`COALESCE(${traitSql(json, { type, op: f.op, value: f.value, values: f.values }, { now: new Date(0), today: '', timeZone: 'UTC' })}, false)`;
}

function windowSql(column: Sql, window: Window | undefined, ctx: EvalContext): Sql {
  const parts = [sql`${column} <= ${ctx.now}`];
  const { from, to } = windowBounds(window, ctx.now, ctx.timeZone);
  if (from) parts.push(sql`${column} >= ${from}`);
  if (to) parts.push(sql`${column} < ${to}`);
  return sql.join(parts, sql` AND `);
}

function eventFilter(event: string, where: PropertyFilter[] | undefined, window: Window | undefined, comp: Compilation): Sql {
  const parts = [
    sql`e.workspace_id = ${comp.workspaceId}`,
    sql`e.profile_id IS NOT NULL`,
    sql`e.event = ${event}`,
    windowSql(sql`e."timestamp"`, window, comp.ctx),
    ...(where ?? []).map(filterSql),
  ];
  return sql.join(parts, sql` AND `);
}

function orderFilter(f: { window?: Window; store?: string; channel?: string }, comp: Compilation): Sql {
  const parts = [
    sql`o.workspace_id = ${comp.workspaceId}`,
    sql`o.profile_id IS NOT NULL`,
    sql`o.status = ANY(${[...COUNTED_ORDER_STATUSES]}::text[])`,
    windowSql(sql`o.ordered_at`, f.window, comp.ctx),
  ];
  if (f.store !== undefined) parts.push(sql`o.store_id = ${f.store}`);
  if (f.channel !== undefined) parts.push(sql`o.channel = ${f.channel}`);
  return sql.join(parts, sql` AND `);
}

function timeSql(t: Sql, op: TimeOp, date: string | undefined, days: number | undefined, ctx: EvalContext): Sql {
  switch (op) {
    case 'before':
      return sql`(${t} < ${instant(date ?? '', ctx.timeZone)})`;
    case 'after':
      return sql`(${t} >= ${instant(date ?? '', ctx.timeZone)})`;
    case 'within_last_days':
      return sql`(${t} >= ${daysBefore(ctx.now, days ?? 0)})`;
    case 'not_within_last_days':
      return sql`(${t} < ${daysBefore(ctx.now, days ?? 0)})`;
  }
}
