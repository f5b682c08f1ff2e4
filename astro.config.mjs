// @ts-check
import { defineConfig, envField } from 'astro/config';
import starlight from '@astrojs/starlight';
import { pluginRunnableBlocks } from './src/blocks/expressive-code-runnable.ts';
import { precompress } from './src/build/precompress.ts';

export default defineConfig({
  // The runner serves dist/ itself; every asset is local (no CDN, no web fonts).
  env: {
    schema: {
      /**
       * Where the page's terminal connects: a ws:// or wss:// URL of a runner's WebSocket endpoint,
       * read at build time. Unset: the page connects to the server it came from (the runner serves
       * the site and the socket on one port).
       */
      PUBLIC_LAB_RUNNER_URL: envField.string({ context: 'client', access: 'public', optional: true, url: true, startsWith: 'ws' }),
    },
  },
  vite: {
    resolve: {
      // src/content/docs is a link to the top-level content/docs (see src/content.config.ts):
      // keep the link's path, which is where Starlight looks for pages and reads their language.
      preserveSymlinks: true,
    },
  },
  integrations: [
    starlight({
      title: { 'zh-CN': 'Docker 网络实验室', en: 'Docker Network Lab' },
      defaultLocale: 'root',
      locales: {
        root: { label: '简体中文', lang: 'zh-CN' },
        en: { label: 'English', lang: 'en' },
      },
      favicon: '/favicon.svg',
      // Keyboard focus, reduced motion and print, for every page (the lab's components style themselves).
      customCss: ['./src/styles/lab-access.css'],
      // Runnable blocks (```sh run …) get their ids and metadata here; see content/AUTHORING.md.
      expressiveCode: { plugins: [pluginRunnableBlocks()] },
      // No sidebar list here: Starlight builds it from content/docs, so a new page shows up by
      // itself; a page's place and label come from its frontmatter (`sidebar.order`, `sidebar.label`).
      components: {
        Head: './src/components/Head.astro',
        MarkdownContent: './src/components/MarkdownContent.astro',
      },
    }),
    // Last: brotli and gzip copies of the finished site, search index included, for the runner to serve.
    precompress(),
  ],
});
