import { hash, verify } from '@node-rs/argon2';

/**
 * Passwords are chosen by people, so they are stored with a memory-hard hash: argon2id (the library default
 * algorithm) with OWASP's parameters (19 MiB, 2 passes). The PHC string carries its own salt and parameters.
 */
const options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };

export function hashPassword(password: string): Promise<string> {
  return hash(password, options);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    return false;
  }
}

/** Verifying against this when no user matches makes an unknown email cost as much time as a wrong password. */
let dummyHash: Promise<string> | undefined;
export async function burnPasswordCheck(password: string): Promise<void> {
  dummyHash ??= hashPassword('not-a-real-password');
  await verifyPassword(await dummyHash, password);
}
