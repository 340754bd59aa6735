import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { precompress } from './build-plugins';

/** The API paths the dev server hands to a Siyu server on :3000 (`npm start` or `siyu serve`). */
const apiTarget = process.env.SIYU_API ?? 'http://127.0.0.1:3000';
const proxied = ['/api', '/v1', '/t', '/openapi.json', '/healthz'];

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  // Measured on an idle 2-core machine (docs/benchmarks.md, console section): linking antd's first-screen CSS built at
  // build time (484 kB) and preloading the charts chunk with the app each made the overview's cold load slower
  // (2.5 s → 3.0–3.4 s), so neither is done; precompressed assets stay.
  plugins: [react(), precompress()],
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
