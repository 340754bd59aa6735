import { expect, it } from 'vitest';
import { en } from '../../console/src/i18n/en.js';
import { zhCN } from '../../console/src/i18n/zh-CN.js';
import { describeRuleSchema } from '../../src/modules/rules/index.js';

/**
 * The rule builder labels whatever the rule schema allows through i18n (`rules.ops.<op>`, `rules.kinds.<kind>`…).
 * A kind, operator or field added to the schema without its labels fails here, in both languages.
 */
it('has a zh-CN and an en label for every kind, operator, enum value and field of the rule schema', () => {
  const schema = describeRuleSchema();
  const wanted: string[] = [];
  const need = (prefix: string, values: readonly string[] | undefined) => {
    expect(values, prefix).toBeDefined();
    for (const v of values ?? []) wanted.push(`${prefix}.${v}`);
  };
  const leafKinds = Object.keys(schema.kinds).filter((k) => !['and', 'or', 'not'].includes(k));
  need('rules.kinds', leafKinds);
  need('rules.ops', [...Object.values(schema.traitOps).flat(), ...schema.propertyFilterOps]);
  need('rules.types', schema.kinds.trait?.type?.enum);
  need('rules.window', ['any', ...schema.windowTypes]);
  need('rules.compare', schema.kinds.order?.op?.enum);
  need('rules.compare', schema.kinds.event_aggregate?.op?.enum);
  need('rules.fn', schema.kinds.event_aggregate?.fn?.enum);
  need('rules.measure', schema.kinds.order?.measure?.enum);
  need('rules.which', schema.kinds.event_time?.which?.enum);
  need('rules.which', schema.kinds.order_time?.which?.enum);
  need('rules.timeOps', schema.kinds.event_time?.op?.enum);
  need('rules.timeOps', schema.kinds.order_time?.op?.enum);
  need('rules.tagOps', schema.kinds.tag?.op?.enum);
  need('rules.tagOps', schema.kinds.identifier?.op?.enum);
  need('rules.segmentOps', schema.kinds.segment?.op?.enum);
  need('stages', schema.kinds.lifecycle?.stages?.enum);
  need('rules.rfmClasses', schema.kinds.rfm?.classes?.enum);
  need('rules.fieldNames', Object.values(schema.kinds).flatMap((fields) => Object.keys(fields)));
  const lookup = (messages: object, key: string) => key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], messages);
  const missing = [...new Set(wanted)].flatMap((key) => [
    ...(typeof lookup(zhCN, key) === 'string' ? [] : [`zh-CN ${key}`]),
    ...(typeof lookup(en, key) === 'string' ? [] : [`en ${key}`]),
  ]);
  expect(missing).toEqual([]);
});
