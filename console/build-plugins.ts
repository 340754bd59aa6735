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
 * The overview draws its charts with a lazily loaded chunk (ECharts). On `/` index.html asks for that chunk next
 * to the app's code instead of after the overview's data arrived: the build puts the chunk URLs in place of
 * `__SIYU_OVERVIEW_CHUNKS__` (an empty list in the dev server).
 */
export function overviewChunks(entry = 'src/pages/charts.tsx'): Plugin {
  return {
    name: 'siyu-overview-chunks',
    transformIndexHtml: {
      order: 'post',
      handler(html, ctx) {
        const urls: string[] = [];
        const chunks = Object.values(ctx.bundle ?? {}).filter((c) => c.type === 'chunk');
        const chart = chunks.find((c) => c.facadeModuleId?.replaceAll('\\', '/').endsWith(entry));
        if (chart) {
          const seen = new Set<string>();
          const visit = (fileName: string) => {
            if (seen.has(fileName)) return;
            seen.add(fileName);
            const chunk = chunks.find((c) => c.fileName === fileName);
            chunk?.imports.forEach(visit);
          };
          visit(chart.fileName);
          // Chunks the entry already loads (React, the app) are on their way anyway.
          const initial = new Set<string>();
          const visitInitial = (fileName: string) => {
            if (initial.has(fileName)) return;
            initial.add(fileName);
            chunks.find((c) => c.fileName === fileName)?.imports.forEach(visitInitial);
          };
          chunks.filter((c) => c.isEntry).forEach((c) => visitInitial(c.fileName));
          for (const fileName of seen) if (!initial.has(fileName)) urls.push(`/${fileName}`);
        }
        return html.replace('__SIYU_OVERVIEW_CHUNKS__', JSON.stringify(urls));
      },
    },
  };
}

/**
 * antd writes its styles at run time (CSS-in-JS): on first load that is hundreds of kB of CSS built in the browser
 * before the first paint. The build renders the first screens' components once in Node, writes their CSS to a file
 * that index.html links, and antd skips building what the file already has (its CSS cache-path map); components
 * not in the file keep styling themselves at run time. `theme` must be the one the app's ConfigProvider gets.
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
        return html.replace('</title>', `</title>\n    <link rel="stylesheet" href="/${asset.fileName}" />`);
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
  const { App, ConfigProvider, Layout, Menu, Typography, Space, Select, Dropdown, Avatar, Spin, Skeleton, Card, Row, Col, Statistic, Alert, Button, Form, Input, Result, Empty } = antd;
  const cache = createCache();
  // What the sign-in page, the layout (menu, header) and the overview show before any chart.
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
        h(Typography.Title, { level: 3 }, 't'),
        h(Typography.Text, { strong: true }, 't'),
        h(Space, null, h(Select, { size: 'small', options: [] }), h(Dropdown, { menu: { items: [] } }, h('a', null, 't')), h(Avatar, { size: 'small' })),
        h(Spin),
        h(Skeleton, { active: true }),
        h(Row, { gutter: [16, 16] }, h(Col, { xs: 12 }, h(Card, { size: 'small' }, h(Statistic, { title: 't', value: 1 })))),
        h(Card, { title: 't', extra: 't' }, 't'),
        h(Alert, { type: 'info', showIcon: true, message: 't', description: 't', action: h(Button, { size: 'small' }, 't') }),
        h(Form, { layout: 'vertical' }, h(Form.Item, { label: 't', name: 'e' }, h(Input)), h(Form.Item, { label: 't', name: 'p' }, h(Input.Password))),
        h(Button, { type: 'primary', block: true }, 't'),
        h(Button, { type: 'link' }, 't'),
        h(Result, { status: 'info', title: 't' }),
        h(Empty),
      ),
    ),
  );
  renderToString(h(StyleProvider, { cache }, h(ConfigProvider, { theme }, h(App, null, screens))));
  return extractStyle(cache, { plain: true });
}
