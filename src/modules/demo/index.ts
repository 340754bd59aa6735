export { DEMO_ADMIN_TOKEN, DEMO_LOGIN, DEMO_WORKSPACE_ID, DEMO_WRITE_KEY, loadDemoBrand, loadDemoIfEmpty, type DemoProgress } from './load.js';
