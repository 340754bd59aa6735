export { eventSchema, overviewStats } from './overview.js';
export { registerAnalyticsRoutes } from './routes.js';
