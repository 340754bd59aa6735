/** The rule language (schema, validation) and its two evaluators: real-time (one profile, JS) and batch (SQL). */
export {
  Condition,
  LifecycleStage,
  RfmClass,
  Rule,
  RULE_VERSION,
  TraitType,
  opsByTraitType,
  type ConditionOf,
} from './schema.js';
export { evalContext, dayIn, addDays, type EvalContext } from './clock.js';
export { workspaceContext } from './context.js';
export { evaluate, COUNTED_ORDER_STATUSES, type ProfileState } from './evaluate.js';
export { compileRule } from './compile.js';
export { inBatchTransaction, stageQuery } from './batch.js';
export { eventHorizon, eventNamesOf, loadProfileStates, type StatePart, type StateSelection } from './state.js';
export { emptyNeeds, needsOf, type ConditionNeeds } from './needs.js';
export { describeRuleSchema, type RuleSchemaDescription } from './describe.js';
export { dependencyOrder, parseRule, referencesOf, ruleGraph, semanticIssues, validateRule, type RuleOwner } from './validate.js';
