/** Parses a Segment timestamp (ISO 8601 string or epoch milliseconds); undefined when absent, null when invalid. */
export function parseTimestamp(value: unknown): Date | undefined | null {
  if (value === undefined || value === null || value === '') return undefined;
  const d = typeof value === 'number' ? new Date(value) : typeof value === 'string' ? new Date(value) : null;
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
