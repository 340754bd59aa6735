/** Builds console/dist when it is missing or older than its sources; true when it built. */
export function ensureConsoleBuilt(options?: { quiet?: boolean }): boolean;
export function consoleIsStale(): boolean;
