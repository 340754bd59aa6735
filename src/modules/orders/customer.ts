import { normaliseIdentifier, type Identifier } from '../identity/index.js';
import type { ParsedOrder } from './schema.js';

/** The identifiers an order names for its customer, normalised like ingest does. */
export function customerIdentifiers(customer: ParsedOrder['customer']): Identifier[] {
  const out: Identifier[] = [];
  const add = (type: string, raw: unknown) => {
    const value = normaliseIdentifier(type, raw);
    if (value !== null && !out.some((i) => i.type === type && i.value === value)) out.push({ type, value });
  };
  add('userId', customer.userId);
  add('anonymousId', customer.anonymousId);
  add('email', customer.email);
  add('phone', customer.phone);
  for (const ext of customer.externalIds ?? []) add(ext.type, ext.id);
  return out;
}
