/**
 * ECharts is large: its chunk loads only for a screen that draws charts. The overview asks for it as soon as the app
 * knows it will show the overview (App.tsx), so the chunk downloads and compiles while the layout renders and the
 * data comes, instead of after the data has rendered. Every import of the chunk goes through here (one request).
 */
export const loadCharts = () => import('./charts');
