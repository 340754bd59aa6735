/** The rule builder (visual editor of the rule language) and its live estimate: used by tags, segments and journeys. */
export { RuleBuilder, type RuleBuilderProps } from './RuleBuilder';
export { RuleEditor, EstimateCard } from './RuleEditor';
export { RuleOptionsProvider, useRuleOptions, useEstimate, validateRule, type Estimate, type RuleOptions } from './data';
export { editableRule, emptyRule, errorsByNode, hasConditions, nodePaths, type Rule, type RuleNode, type RuleSchema } from './model';
