import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { databaseConfigFromEnv, type DatabaseConfig } from '../../platform/config.js';
import { AppError } from '../../platform/errors.js';

/**
 * Credentials at rest are sealed with AES-256-GCM under one process-wide master key:
 * - `SIYU_SECRET_KEY` (32 bytes as 64 hex chars or base64), required with PostgreSQL, where several processes must
 *   share it;
 * - otherwise, in the embedded mode, `<data folder>/secret.key`, generated once (mode 0600) beside the database.
 * A sealed value is `v1.<key id>.<iv>.<tag>.<ciphertext>` (base64url); the key id (a hash of the key) makes a
 * wrong key an explicit error instead of garbage.
 */
export interface SecretKeySource {
  env?: string | undefined;
  /** Embedded data folder; ignored when `env` is set. */
  dataDir?: string | undefined;
}

const KEY_FILE = 'secret.key';
let processKey: Buffer | undefined;

export function parseSecretKey(text: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new AppError('internal', 'SIYU_SECRET_KEY must be 32 bytes (64 hex characters or base64)');
  return key;
}

/** Reads the master key, creating the embedded key file on first use (exclusive create: two starters agree). */
export function loadSecretKey(source: SecretKeySource): Buffer {
  if (source.env) return parseSecretKey(source.env);
  if (!source.dataDir || source.dataDir.startsWith('memory://')) {
    throw new AppError('internal', 'no secret key: set SIYU_SECRET_KEY (required with DATABASE_URL) or use an embedded data folder');
  }
  const file = path.join(source.dataDir, KEY_FILE);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(source.dataDir, { recursive: true });
    try {
      fs.writeFileSync(file, `${randomBytes(32).toString('hex')}\n`, { flag: 'wx', mode: 0o600 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  return parseSecretKey(fs.readFileSync(file, 'utf8'));
}

/** The master key of this process: set explicitly at startup (server, tests) or resolved lazily from the environment. */
export function setSecretKey(key: Buffer): void {
  if (key.length !== 32) throw new AppError('internal', 'the secret key must be 32 bytes');
  processKey = key;
}

/** Resolves the key for a database configuration: the server calls this at start with the folder it opened. */
export function configureSecretKey(cfg: DatabaseConfig): void {
  setSecretKey(loadSecretKey({ env: process.env.SIYU_SECRET_KEY, dataDir: cfg.url ? undefined : cfg.dataDir }));
}

/** The key set at start, or else the one the environment names (SIYU_SECRET_KEY, or SIYU_DATA_DIR / ./.siyu). */
export function secretKey(): Buffer {
  if (!processKey) configureSecretKey(databaseConfigFromEnv());
  return processKey!;
}

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('base64url').slice(0, 8);

export function seal(plaintext: string, key: Buffer = secretKey()): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', keyId(key), iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
}

export function unseal(sealed: string, key: Buffer = secretKey()): string {
  const [version, id, iv, tag, body] = sealed.split('.');
  if (version !== 'v1' || !id || !iv || !tag || body === undefined) throw new AppError('internal', 'malformed sealed secret');
  if (id !== keyId(key)) throw new AppError('internal', 'sealed with another secret key: check SIYU_SECRET_KEY / secret.key');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/** A purpose-bound sub-key (tracking links, unsubscribe tokens), so the master key itself never signs anything public. */
export function derivedKey(purpose: string, key: Buffer = secretKey()): Buffer {
  return createHmac('sha256', key).update(`siyu:${purpose}`).digest();
}
