import type { Database } from '../db/database.js';

/** What every route handler and module service gets: the database and process-wide settings. */
export interface AppContext {
  database: Database;
  /** Public base URL of this server (tracking pixels, links in messages). */
  publicUrl: string;
  /** Demo mode shows the demo login on the sign-in page. */
  demo: boolean;
}
