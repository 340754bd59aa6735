/**
 * A readable name for a profile: its name trait, else an email or phone, else the first identifier (with
 * `skipAnonymous`, not a device's anonymousId: a list shows such a visitor as anonymous, not by a random id).
 */
export function profileName(traits: Record<string, unknown>, identifiers: { type: string; value: string }[] = [], opts: { skipAnonymous?: boolean } = {}): string | undefined {
  const pick = (...keys: string[]) => keys.map((k) => traits[k]).find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined;
  const first = pick('firstName', 'first_name');
  const last = pick('lastName', 'last_name');
  return pick('name', 'nickname') ?? (first || last ? [last, first].filter(Boolean).join(' ') : undefined) ?? pick('email', 'phone') ?? identifiers.find((i) => !opts.skipAnonymous || i.type !== 'anonymousId')?.value;
}

/** Short text for any JSON value shown in a table cell. */
export function valueText(value: unknown): string {
  if (value === null || value === undefined) return '—';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
