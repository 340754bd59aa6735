export { getProfile, listProfiles, lookupProfile } from './read.js';
export { profileTimeline } from './timeline.js';
export { deleteProfile } from './delete.js';
export { registerProfileRoutes } from './routes.js';
export { ProfileView, CHANNEL_OF_IDENTIFIER } from './schema.js';
/** Re-exported so callers find event recording where they find profiles. */
export { appendProfileEvents, type ProfileEventInput } from '../ingest/index.js';
