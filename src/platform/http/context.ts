import type { Database } from '../db/database.js';

/** What every route handler and module service gets: the database and process-wide settings. */
export interface AppContext {
  database: Database;
  /** Public base URL of this server (tracking pixels, links in messages). */
  publicUrl: string;
  /** Demo mode shows the demo login on the sign-in page. */
  demo: boolean;
  /** While the demo brand loads in this process, how far it has got (the console shows a banner). */
  demoProgress?: () => { step: 'members' | 'lifecycle'; members: number; totalMembers: number } | null;
}
