import { z } from 'zod';

/**
 * The rule language, version 1. Conditions are data: the API validates them with these schemas, the console's rule
 * builder edits them, and both evaluators (real-time in JS, batch in SQL) read them. Every node is a strict object
 * tagged by `kind`, so an unknown field or kind is rejected with the path of the offending node.
 */
export const RULE_VERSION = 1;

export const TraitType = z.enum(['string', 'number', 'boolean', 'date']);
export type TraitType = z.infer<typeof TraitType>;

export const TraitOp = z.enum([
  'eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'not_exists',
  'before', 'after', 'on', 'within_last_days', 'anniversary_within_days',
]);
export type TraitOp = z.infer<typeof TraitOp>;

/** Which operators each trait type accepts (semantic validation points at `op` when they do not fit). */
export const opsByTraitType: Record<TraitType, readonly TraitOp[]> = {
  string: ['eq', 'neq', 'in', 'not_in', 'contains', 'starts_with', 'exists', 'not_exists'],
  number: ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte', 'between', 'exists', 'not_exists'],
  boolean: ['eq', 'neq', 'exists', 'not_exists'],
  date: ['before', 'after', 'on', 'between', 'within_last_days', 'anniversary_within_days', 'exists', 'not_exists'],
};

const Scalar = z.union([z.string().max(500), z.number().finite(), z.boolean()]);
const TraitPath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^.\s][^\s]*$/, 'a trait name, dotted for nested objects (address.city)');
const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const IsoInstant = z.union([IsoDate, z.iso.datetime({ offset: true })]);

export const Compare = z.enum(['eq', 'neq', 'gt', 'gte', 'lt', 'lte']);
export type Compare = z.infer<typeof Compare>;

/** A time window over event or order time, always ending at the evaluation's `now`. */
export const Window = z.discriminatedUnion('type', [
  z.object({ type: z.literal('last_days'), days: z.number().int().min(1).max(3650) }).strict(),
  z.object({ type: z.literal('between'), from: IsoInstant, to: IsoInstant }).strict(),
]);
export type Window = z.infer<typeof Window>;

/** A filter on an event property; the JSON type compared is the type of `value` (or of `values`). */
export const PropertyFilter = z
  .object({
    property: TraitPath,
    op: z.enum(['eq', 'neq', 'in', 'contains', 'gt', 'gte', 'lt', 'lte', 'exists']),
    value: Scalar.optional(),
    values: z.array(z.union([z.string().max(500), z.number().finite()])).min(1).max(500).optional(),
  })
  .strict();
export type PropertyFilter = z.infer<typeof PropertyFilter>;

/** When something happened, relative to a date or to `now`. */
export const TimeOp = z.enum(['before', 'after', 'within_last_days', 'not_within_last_days']);
export type TimeOp = z.infer<typeof TimeOp>;

export const LifecycleStage = z.enum(['A', 'I', 'P', 'L']);
export type LifecycleStage = z.infer<typeof LifecycleStage>;

export const RfmClass = z.enum([
  'important_value', 'important_retain', 'important_develop', 'important_winback',
  'general_value', 'general_retain', 'general_develop', 'general_winback',
]);
export type RfmClass = z.infer<typeof RfmClass>;
const ScoreRange = z.tuple([z.number().int().min(1).max(5), z.number().int().min(1).max(5)]);

const TraitCondition = z
  .object({
    kind: z.literal('trait'),
    trait: TraitPath,
    type: TraitType,
    op: TraitOp,
    value: Scalar.optional(),
    values: z.array(z.union([z.string().max(500), z.number().finite()])).min(1).max(1000).optional(),
    days: z.number().int().min(0).max(3650).optional(),
  })
  .strict();

const EventCondition = z
  .object({
    kind: z.literal('event'),
    event: z.string().min(1).max(200),
    where: z.array(PropertyFilter).max(20).optional(),
    window: Window.optional(),
    /** How many times; absent means "performed at least once". Not performed: `{ op: 'eq', value: 0 }`. */
    count: z.object({ op: Compare, value: z.number().int().min(0) }).strict().optional(),
  })
  .strict();

const EventAggregateCondition = z
  .object({
    kind: z.literal('event_aggregate'),
    event: z.string().min(1).max(200),
    where: z.array(PropertyFilter).max(20).optional(),
    window: Window.optional(),
    fn: z.enum(['sum', 'avg', 'min', 'max']),
    property: TraitPath,
    op: Compare,
    value: z.number().finite(),
  })
  .strict();

const EventTimeCondition = z
  .object({
    kind: z.literal('event_time'),
    event: z.string().min(1).max(200),
    where: z.array(PropertyFilter).max(20).optional(),
    which: z.enum(['first', 'last']),
    op: TimeOp,
    date: IsoInstant.optional(),
    days: z.number().int().min(1).max(3650).optional(),
  })
  .strict();

const OrderFilterFields = {
  window: Window.optional(),
  store: z.string().max(200).optional(),
  channel: z.string().max(200).optional(),
};

const OrderCondition = z
  .object({
    kind: z.literal('order'),
    measure: z.enum(['count', 'total', 'average']),
    op: Compare,
    value: z.number().finite().min(0),
    ...OrderFilterFields,
  })
  .strict();

const OrderTimeCondition = z
  .object({
    kind: z.literal('order_time'),
    which: z.enum(['first', 'last']),
    op: TimeOp,
    date: IsoInstant.optional(),
    days: z.number().int().min(1).max(3650).optional(),
    store: z.string().max(200).optional(),
    channel: z.string().max(200).optional(),
  })
  .strict();

const BoughtCondition = z
  .object({
    kind: z.literal('bought'),
    sku: z.string().min(1).max(200).optional(),
    category: z.string().min(1).max(200).optional(),
    ...OrderFilterFields,
  })
  .strict();

const TagCondition = z
  .object({ kind: z.literal('tag'), op: z.enum(['has', 'has_not']), tag: z.string().min(1), value: z.string().max(200).optional() })
  .strict();
const SegmentCondition = z
  .object({ kind: z.literal('segment'), op: z.enum(['in', 'not_in']), segment: z.string().min(1) })
  .strict();
const LifecycleCondition = z.object({ kind: z.literal('lifecycle'), stages: z.array(LifecycleStage).min(1) }).strict();
const RfmCondition = z
  .object({ kind: z.literal('rfm'), classes: z.array(RfmClass).min(1).optional(), r: ScoreRange.optional(), f: ScoreRange.optional(), m: ScoreRange.optional() })
  .strict();
const IdentifierCondition = z
  .object({ kind: z.literal('identifier'), op: z.enum(['has', 'has_not']), type: z.string().min(1).max(100) })
  .strict();
/** Consent is read from the profile trait `consents.<channel>` (true = consented). */
const ConsentCondition = z.object({ kind: z.literal('consent'), channel: z.string().min(1).max(100) }).strict();

export type Condition =
  | { kind: 'and'; conditions: Condition[] }
  | { kind: 'or'; conditions: Condition[] }
  | { kind: 'not'; condition: Condition }
  | z.infer<typeof TraitCondition>
  | z.infer<typeof EventCondition>
  | z.infer<typeof EventAggregateCondition>
  | z.infer<typeof EventTimeCondition>
  | z.infer<typeof OrderCondition>
  | z.infer<typeof OrderTimeCondition>
  | z.infer<typeof BoughtCondition>
  | z.infer<typeof TagCondition>
  | z.infer<typeof SegmentCondition>
  | z.infer<typeof LifecycleCondition>
  | z.infer<typeof RfmCondition>
  | z.infer<typeof IdentifierCondition>
  | z.infer<typeof ConsentCondition>;

export type ConditionOf<K extends Condition['kind']> = Extract<Condition, { kind: K }>;

export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('and'), conditions: z.array(Condition).min(1).max(50) }).strict(),
    z.object({ kind: z.literal('or'), conditions: z.array(Condition).min(1).max(50) }).strict(),
    z.object({ kind: z.literal('not'), condition: Condition }).strict(),
    TraitCondition,
    EventCondition,
    EventAggregateCondition,
    EventTimeCondition,
    OrderCondition,
    OrderTimeCondition,
    BoughtCondition,
    TagCondition,
    SegmentCondition,
    LifecycleCondition,
    RfmCondition,
    IdentifierCondition,
    ConsentCondition,
  ]),
) as z.ZodType<Condition>;

export const Rule = z
  .object({ version: z.literal(RULE_VERSION).default(RULE_VERSION), condition: Condition })
  .strict()
  .meta({ id: 'Rule', description: 'A rule (version 1): a tree of conditions with and / or / not.' });
export type Rule = z.infer<typeof Rule>;
