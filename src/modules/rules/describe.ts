import { z } from 'zod';
import { Condition, opsByTraitType, RULE_VERSION, type TraitType } from './schema.js';

/** One field of a condition kind as the rule builder needs it: its allowed values (when an enum) and whether required. */
export interface FieldDescription {
  required: boolean;
  enum?: string[];
  type?: string;
}

export interface RuleSchemaDescription {
  version: number;
  /** Every condition kind (groups `and`/`or`/`not` included) with its fields. */
  kinds: Record<string, Record<string, FieldDescription>>;
  /** The operators each trait type accepts (checked semantically, so not visible in the JSON schema). */
  traitOps: Record<TraitType, readonly string[]>;
  /** Enums of nested objects: property filter operators, window types. */
  propertyFilterOps: string[];
  windowTypes: string[];
  /** The full JSON schema of a condition, for tools that want it. */
  jsonSchema: unknown;
}

interface JsonNode {
  type?: string;
  const?: string;
  enum?: string[];
  properties?: Record<string, JsonNode>;
  required?: string[];
  oneOf?: JsonNode[];
  anyOf?: JsonNode[];
  items?: JsonNode;
}

function enumOf(node: JsonNode | undefined): string[] | undefined {
  if (!node) return undefined;
  if (node.enum) return node.enum;
  if (node.items) return enumOf(node.items);
  return undefined;
}

/**
 * The rule language described for editors (the console's rule builder): derived from the zod schema itself, so a
 * new kind or operator reaches the builder without a second list to keep in step.
 */
export function describeRuleSchema(): RuleSchemaDescription {
  const json = z.toJSONSchema(Condition, { io: 'input', unrepresentable: 'any' }) as JsonNode;
  const kinds: RuleSchemaDescription['kinds'] = {};
  let propertyFilterOps: string[] = [];
  let windowTypes: string[] = [];
  for (const variant of json.oneOf ?? []) {
    const kind = variant.properties?.kind?.const;
    if (!kind || !variant.properties) continue;
    const fields: Record<string, FieldDescription> = {};
    for (const [name, node] of Object.entries(variant.properties)) {
      if (name === 'kind') continue;
      const values = enumOf(node);
      fields[name] = { required: (variant.required ?? []).includes(name), ...(values ? { enum: values } : {}), ...(node.type ? { type: node.type } : {}) };
      if (name === 'where' && node.items?.properties?.op?.enum) propertyFilterOps = node.items.properties.op.enum;
      if (name === 'window' && node.oneOf) windowTypes = node.oneOf.map((w) => w.properties?.type?.const).filter((t): t is string => !!t);
    }
    kinds[kind] = fields;
  }
  return { version: RULE_VERSION, kinds, traitOps: opsByTraitType, propertyFilterOps, windowTypes, jsonSchema: json };
}
