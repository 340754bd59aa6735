import { AppError } from '../../platform/errors.js';

/**
 * Failed sign-ins per email and per client address, in this process's memory: enough to make guessing passwords
 * slow (each guess already costs an argon2 verification) without a table. A success clears the email's count.
 */
const WINDOW_MS = 15 * 60_000;
const MAX_PER_EMAIL = 10;
const MAX_PER_ADDRESS = 50;
const failures = new Map<string, { count: number; since: number }>();

function current(key: string): { count: number; since: number } | undefined {
  const entry = failures.get(key);
  if (entry && Date.now() - entry.since > WINDOW_MS) {
    failures.delete(key);
    return undefined;
  }
  return entry;
}

export function checkSignInAllowed(email: string, address: string): void {
  const byEmail = current(`e:${email}`);
  const byAddress = current(`a:${address}`);
  const blocked = (byEmail && byEmail.count >= MAX_PER_EMAIL ? byEmail : undefined) ?? (byAddress && byAddress.count >= MAX_PER_ADDRESS ? byAddress : undefined);
  if (blocked) {
    const minutes = Math.max(1, Math.ceil((blocked.since + WINDOW_MS - Date.now()) / 60_000));
    throw new AppError('too_many_attempts', `too many failed sign-ins: try again in ${minutes} minute${minutes === 1 ? '' : 's'}`);
  }
}

export function recordSignInFailure(email: string, address: string): void {
  for (const key of [`e:${email}`, `a:${address}`]) {
    const entry = current(key);
    if (entry) entry.count += 1;
    else failures.set(key, { count: 1, since: Date.now() });
  }
  if (failures.size > 100_000) failures.clear();
}

export function recordSignInSuccess(email: string): void {
  failures.delete(`e:${email}`);
}
