import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Plugin } from 'vite';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * Writes `.br` and `.gz` next to every built text file, so the server sends compressed bytes without compressing
 * per request (src/apps/server/console.ts picks the variant the browser accepts).
 */
export function precompress(): Plugin {
  let outDir = '';
  return {
    name: 'siyu-precompress',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    async closeBundle() {
      const files: string[] = [];
      const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
          const full = path.join(dir, entry.name);
          if (entry.isDirectory()) walk(full);
          else if (/\.(js|css|html|svg|json)$/.test(entry.name)) files.push(full);
        }
      };
      walk(outDir);
      await Promise.all(
        files.map(async (file) => {
          const content = fs.readFileSync(file);
          const [br, gz] = await Promise.all([
            brotli(content, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 10, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: content.length } }),
            gzip(content, { level: 9 }),
          ]);
          fs.writeFileSync(`${file}.br`, br);
          fs.writeFileSync(`${file}.gz`, gz);
        }),
      );
    },
  };
}

/**
 * antd writes its styles at run time (CSS-in-JS): on the first load that is ~200 kB of CSS generated in the browser
 * (token maths, style objects, stylis, ~30 `<style>` tags) inside React's first renders, the largest part of the
 * overview's render time in a CPU profile. The build renders the first screens' antd components once in Node (the
 * sign-in page, the layout, the overview's cards) and writes their CSS to a file that index.html links; antd reads
 * the file's cache-path map and skips building those styles in the browser (it still computes theme tokens). Any
 * other component keeps styling itself at run time. `theme` must be the object the app's ConfigProvider gets.
 */
export function antdFirstScreenStyles(theme: object): Plugin {
  let reference = '';
  return {
    name: 'siyu-antd-first-screen-styles',
    apply: 'build',
    buildStart() {
      reference = this.emitFile({ type: 'asset', name: 'antd.css', source: renderFirstScreenCss(theme) });
    },
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        if (!reference || !ctx.bundle) return html;
        const asset = Object.values(ctx.bundle).find((a) => a.type === 'asset' && a.names.includes('antd.css'));
        if (!asset) return html;
        // Before the page's own <style>: the cascade order antd's prepended <style> tags had.
        return html.replace('<!-- antd first-screen styles -->', `<link rel="stylesheet" href="/${asset.fileName}" />`);
      },
    },
  };
}

function renderFirstScreenCss(theme: object): string {
  const require = createRequire(import.meta.url);
  const React = require('react') as typeof import('react');
  const { renderToString } = require('react-dom/server') as typeof import('react-dom/server');
  const antd = require('antd') as typeof import('antd');
  const { createCache, extractStyle, StyleProvider } = require('@ant-design/cssinjs') as typeof import('@ant-design/cssinjs');
  const h = React.createElement;
  const { ConfigProvider, Layout, Menu, Typography, Space, Dropdown, Avatar, Spin, Skeleton, Card, Row, Col, Statistic, Alert, Button, Form, Input } = antd;
  const cache = createCache();
  // What the sign-in page (src/pages/SignIn.tsx), the layout (src/layout/AppLayout.tsx) and the overview
  // (src/pages/Overview*.tsx, Panel = antd's card styles) show: keep in step with them (the console browser test
  // checks that antd builds no style at run time on those screens).
  const screens = h(
    Layout,
    null,
    h(Layout.Sider, { collapsible: true, theme: 'light' }, h(Menu, { mode: 'inline', items: [{ key: 'a', label: 'a' }, { key: 'b', label: 'b', children: [{ key: 'c', label: 'c' }] }] })),
    h(
      Layout,
      null,
      h(Layout.Header),
      h(
        Layout.Content,
        null,
        h(Space, null, h(Dropdown, { menu: { items: [] } }, h('a', null, 't')), h(Avatar, { size: 'small' })),
        h(Spin),
        h(Skeleton, { active: true }),
        h(Row, { gutter: [16, 16] }, h(Col, { xs: 12 }, h(Card, { size: 'small' }, h(Statistic, { title: 't', value: 1 })))),
        h(Card, { title: h(Typography.Title, { level: 4 }, 't'), extra: 't' }, h(Typography.Text, null, 't')),
        h(Alert, { type: 'info', showIcon: true, message: 't', description: 't', action: h(Button, { size: 'small' }, 't') }),
        h(Form, { layout: 'vertical' }, h(Form.Item, { label: 't', name: 'e' }, h(Input)), h(Form.Item, { label: 't', name: 'p' }, h(Input.Password))),
        h(Button, { type: 'primary', block: true }, 't'),
      ),
    ),
  );
  renderToString(h(StyleProvider, { cache }, h(ConfigProvider, { theme }, screens)));
  return extractStyle(cache, { plain: true });
}

/**
 * V8 compiles a function the first time it runs, on the main thread, unless the script says its functions run at
 * load (`//# allFunctionsCalledOnLoad`, Chromium ≥ 136; other browsers ignore the comment): then the whole file is
 * compiled on a background thread while it streams in. In a CPU profile of the overview's cold load that moved
 * ~0.3 s of compiling off the renderer's main thread. The hint goes on the chunks the first screens run: the entry,
 * the chunks it imports, and the chunks of `eager` modules (the charts) with theirs.
 */
export function compileHints(eager: string[]): Plugin {
  const hint = '//# allFunctionsCalledOnLoad\n';
  return {
    name: 'siyu-compile-hints',
    apply: 'build',
    // The hint is added after the chunks' hashes are computed: this changes every hash once, so a browser holding a
    // chunk built without the hint (cached for a year) never takes it for one with it.
    augmentChunkHash: () => 'compile-hints',
    generateBundle: {
      // After Vite's own generateBundle work, which puts `__vite__mapDeps` at the top of the entry: the hint must
      // come first in the file.
      order: 'post',
      handler(_options, bundle) {
        const chunks = Object.values(bundle).filter((c) => c.type === 'chunk');
        const hinted = new Set<string>();
        const visit = (fileName: string) => {
          if (hinted.has(fileName)) return;
          hinted.add(fileName);
          chunks.find((c) => c.fileName === fileName)?.imports.forEach(visit);
        };
        for (const chunk of chunks) {
          const ids = chunk.moduleIds.map((id) => id.replaceAll('\\', '/'));
          if (chunk.isEntry || eager.some((e) => ids.some((id) => id.endsWith(e)))) visit(chunk.fileName);
        }
        for (const chunk of chunks) {
          if (!hinted.has(chunk.fileName)) continue;
          chunk.code = hint + chunk.code;
          // One line more at the top: shift the source map by one line.
          const map = bundle[`${chunk.fileName}.map`];
          if (map?.type === 'asset' && typeof map.source === 'string') {
            const json = JSON.parse(map.source) as { mappings: string };
            json.mappings = `;${json.mappings}`;
            map.source = JSON.stringify(json);
          }
          if (chunk.map) chunk.map.mappings = `;${chunk.map.mappings}`;
        }
      },
    },
  };
}

/**
 * Writes the built file name of the chunk holding `module` wherever index.html says `placeholder`, so the page's
 * inline script can ask for that chunk before the app's own code has run (a dev server leaves the placeholder, which
 * the script then ignores).
 */
export function chunkUrlInHtml(placeholder: string, module: string): Plugin {
  return {
    name: 'siyu-chunk-url-in-html',
    apply: 'build',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        if (!ctx.bundle || !html.includes(placeholder)) return html;
        const chunk = Object.values(ctx.bundle).find((c) => c.type === 'chunk' && c.moduleIds.some((id) => id.replaceAll('\\', '/').endsWith(module)));
        if (chunk?.type !== 'chunk') throw new Error(`no chunk holds ${module}`);
        return html.replaceAll(placeholder, `/${chunk.fileName}`);
      },
    },
  };
}
