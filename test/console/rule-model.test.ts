import { expect, it } from 'vitest';
import { editableRule, errorsByNode, nodePaths, type RuleNode } from '../../console/src/components/rules/model.js';

const tree: RuleNode = {
  kind: 'and',
  conditions: [
    { kind: 'trait', trait: 'city', type: 'string', op: 'eq', value: 'x' },
    { kind: 'not', condition: { kind: 'or', conditions: [{ kind: 'event', event: '' }, { kind: 'tag', op: 'has', tag: 'nope' }] } },
  ],
};

it('lists every node path the way the server names them', () => {
  expect(nodePaths(tree)).toEqual([
    'condition',
    'condition.conditions[0]',
    'condition.conditions[1]',
    'condition.conditions[1].condition',
    'condition.conditions[1].condition.conditions[0]',
    'condition.conditions[1].condition.conditions[1]',
  ]);
});

it('puts each server error on the deepest node that contains it, with the field inside the node', () => {
  const byNode = errorsByNode(
    [
      { path: 'body.rule.condition.conditions[0].op', message: 'bad op' },
      { path: 'query.rule.condition.conditions[1].condition.conditions[0].where[2].value', message: 'bad value' },
      { path: 'body.rule.condition.conditions[1].condition.conditions[1].tag', message: 'no such tag: nope' },
      // conditions[10] is not on screen: it goes to the nearest node that contains it (the root group)
      { path: 'body.rule.condition.conditions[10].op', message: 'stale' },
      { path: 'body.rule.version', message: 'wrong version' },
      { message: 'no path' },
    ],
    nodePaths(tree),
  );
  expect(byNode.get('condition.conditions[0]')).toEqual([{ field: 'op', message: 'bad op' }]);
  expect(byNode.get('condition.conditions[1].condition.conditions[0]')).toEqual([{ field: 'where[2].value', message: 'bad value' }]);
  expect(byNode.get('condition.conditions[1].condition.conditions[1]')).toEqual([{ field: 'tag', message: 'no such tag: nope' }]);
  expect(byNode.get('condition')).toEqual([
    { field: 'conditions[10].op', message: 'stale' },
    { field: '', message: 'wrong version' },
    { field: '', message: 'no path' },
  ]);
  expect(byNode.has('condition.conditions[1]')).toBe(false);
});

it('opens a stored rule with a group at the root', () => {
  const leaf = { kind: 'tag', op: 'has', tag: 't1' };
  expect(editableRule({ version: 1, condition: leaf })).toEqual({ version: 1, condition: { kind: 'and', conditions: [leaf] } });
  expect(editableRule({ version: 1, condition: tree })).toEqual({ version: 1, condition: tree });
  expect(editableRule(null)).toEqual({ version: 1, condition: { kind: 'and', conditions: [] } });
});
