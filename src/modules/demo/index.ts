export { computeDemoRules, DEMO_ADMIN_TOKEN, DEMO_LOGIN, DEMO_WORKSPACE_ID, DEMO_WRITE_KEY, demoBrandIsLoading, demoLoadProgress, loadDemoBrand, loadDemoIfEmpty, type DemoProgress } from './load.js';
export { seedSyntheticData, SYNTHETIC_EVENTS, type SyntheticOptions, type SyntheticProgress } from './synthetic.js';
