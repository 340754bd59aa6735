import { createHash } from 'node:crypto';

/**
 * Write keys and admin tokens are 192-bit random secrets, so a fast hash is the right store: there is nothing to
 * brute-force, and every ingest request must verify one. Only the hash and a short hint are kept.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretHint(secret: string): string {
  return `${secret.slice(0, 5)}…${secret.slice(-4)}`;
}
