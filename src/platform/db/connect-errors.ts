import { redactUrl } from '../config.js';
import { AppError } from '../errors.js';

/** DATABASE_URL must name PostgreSQL: anything else is refused by name before a connection is tried. */
export function checkPostgresUrl(url: string): void {
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    throw new AppError('invalid_request', 'DATABASE_URL is not a URL: write it as postgres://user:password@host:5432/database');
  }
  if (scheme !== 'postgres:' && scheme !== 'postgresql:') {
    throw new AppError('invalid_request', `DATABASE_URL must be a PostgreSQL URL (postgres://…), not ${scheme}//…: Siyu runs on PostgreSQL, or embedded without DATABASE_URL`);
  }
}

/**
 * A failure to connect, in words that say what to check (the server's address, the database's name, the login),
 * instead of the driver's stack. Other errors pass through as they are.
 */
export function connectionError(err: unknown, url: string): unknown {
  const code = (err as { code?: string }).code;
  const where = redactUrl(url);
  const u = new URL(url);
  const database = decodeURIComponent(u.pathname.replace(/^\//, '')) || u.username || 'postgres';
  switch (code) {
    case 'ECONNREFUSED':
      return new AppError('database_unreachable', `cannot reach PostgreSQL at ${where}: the connection was refused. Is PostgreSQL running there, and are the host and port in DATABASE_URL right?`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new AppError('database_unreachable', `cannot reach PostgreSQL at ${where}: no host named "${u.hostname}". Check the host in DATABASE_URL`);
    case 'ETIMEDOUT':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new AppError('database_unreachable', `cannot reach PostgreSQL at ${where}: ${code === 'ETIMEDOUT' ? 'the connection timed out' : 'no route to the host'}. Check the host and any firewall`);
    case '3D000':
      return new AppError('database_unreachable', `PostgreSQL at ${where} has no database "${database}": create it (createdb ${database}) or fix DATABASE_URL`);
    case '28P01':
    case '28000':
      return new AppError('database_unreachable', `PostgreSQL at ${where} refused the login of user "${decodeURIComponent(u.username) || 'postgres'}": check the user and password in DATABASE_URL (and pg_hba.conf)`);
    default:
      return err;
  }
}
