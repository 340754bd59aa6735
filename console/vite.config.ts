import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { antdFirstScreenStyles, chunkUrlInHtml, compileHints, precompress } from './build-plugins';
import { theme } from './src/theme';

/** The API paths the dev server hands to a Siyu server on :3000 (`npm start` or `siyu serve`). */
const apiTarget = process.env.SIYU_API ?? 'http://127.0.0.1:3000';
const proxied = ['/api', '/v1', '/t', '/openapi.json', '/healthz'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // console/build-plugins.ts: the first screens' antd CSS built here instead of in the browser (334 kB, only those
  // screens' components: an earlier 484 kB file with every state's components, measured together with a charts
  // preload that competed with the entry chunk, had been dropped), V8 compile hints on the first screens' chunks,
  // precompressed assets, the charts chunk's name for index.html's early requests.
  plugins: [
    react(),
    antdFirstScreenStyles(theme),
    compileHints(['src/pages/charts.tsx']),
    chunkUrlInHtml('/__charts_chunk__', 'src/pages/charts.tsx'),
    precompress(),
  ],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: {
      output: {
        // Everything but React is split by Rollup along the lazily loaded pages, so the first screen evaluates only
        // what it shows. ECharts is not forced into one chunk: the overview's charts chunk then carries only the
        // charts it draws (no heatmap or visualMap, which the segment pages add in their own chunk).
        manualChunks(id) {
          if (/node_modules\/(react|react-dom|scheduler)\//.test(id)) return 'react';
          return undefined;
        },
      },
    },
  },
  server: {
    port: 5173,
    proxy: Object.fromEntries(proxied.map((p) => [p, { target: apiTarget, changeOrigin: false }])),
  },
});
