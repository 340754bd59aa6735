import type { Condition } from './schema.js';

/**
 * What a condition reads from a profile's state. The real-time pass uses it twice: to re-decide only the rules a
 * change can affect (an event named X can only change rules that read X), and to load only the rows those rules read.
 */
export interface ConditionNeeds {
  /** Event names read by event / event_aggregate / event_time leaves. */
  events: Set<string>;
  /** Some event leaf reads properties (a property filter, or an aggregate of a property). */
  eventProperties: boolean;
  /** Trait and consent leaves (consent is the trait `consents.<channel>`). */
  traits: boolean;
  /** order / order_time / bought leaves. */
  orders: boolean;
  /** bought leaves (order items). */
  items: boolean;
  identifiers: boolean;
  /** Tag ids read by tag leaves. */
  tags: Set<string>;
  /** Segment ids read by segment leaves. */
  segments: Set<string>;
  stage: boolean;
  rfm: boolean;
}

export function emptyNeeds(): ConditionNeeds {
  return { events: new Set(), eventProperties: false, traits: false, orders: false, items: false, identifiers: false, tags: new Set(), segments: new Set(), stage: false, rfm: false };
}

export function needsOf(condition: Condition, into: ConditionNeeds = emptyNeeds()): ConditionNeeds {
  const walk = (c: Condition): void => {
    switch (c.kind) {
      case 'and':
      case 'or':
        c.conditions.forEach(walk);
        return;
      case 'not':
        walk(c.condition);
        return;
      case 'trait':
      case 'consent':
        into.traits = true;
        return;
      case 'event':
      case 'event_aggregate':
      case 'event_time':
        into.events.add(c.event);
        if (c.kind === 'event_aggregate' || (c.where?.length ?? 0) > 0) into.eventProperties = true;
        return;
      case 'order':
      case 'order_time':
        into.orders = true;
        return;
      case 'bought':
        into.orders = true;
        into.items = true;
        return;
      case 'identifier':
        into.identifiers = true;
        return;
      case 'tag':
        into.tags.add(c.tag);
        return;
      case 'segment':
        into.segments.add(c.segment);
        return;
      case 'lifecycle':
        into.stage = true;
        return;
      case 'rfm':
        into.rfm = true;
        return;
    }
  };
  walk(condition);
  return into;
}
