/** An ISO date and time with no offset: 2026-01-05T10:00:00(.000), also with a space for the T. */
const NO_OFFSET = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?$/;

/**
 * Parses a Segment timestamp (ISO 8601 string or epoch milliseconds); undefined when absent, null when invalid. A
 * time without an offset is UTC, as a date alone already is: JavaScript would read it in the server process's own
 * zone, so the same event would be stored at another instant on a server set to Asia/Shanghai.
 */
export function parseTimestamp(value: unknown): Date | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  let d: Date | null = null;
  if (typeof value === 'number') d = new Date(value);
  else if (typeof value === 'string') d = new Date(value.length <= 23 && NO_OFFSET.test(value) ? `${value.replace(' ', 'T')}Z` : value);
  return d && !Number.isNaN(d.getTime()) ? d : null;
}

/**
 * Segment's clock-skew correction: the device clock may be wrong, but the gap between when it says the event
 * happened and when it says it sent it is right. timestamp = receivedAt − (sentAt − originalTimestamp).
 */
export function correctedTimestamp(receivedAt: Date, original: Date | undefined, sentAt: Date | undefined): Date {
  if (!original) return receivedAt;
  if (!sentAt) return original;
  return new Date(receivedAt.getTime() - (sentAt.getTime() - original.getTime()));
}
