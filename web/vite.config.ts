import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const webRoot = fileURLToPath(new URL('.', import.meta.url));

/**
 * The SPA is served from the storage account's `$web` container behind the same origin as /api, so
 * asset URLs are absolute (`/assets/...`): client routes such as /c/123 are answered with index.html
 * (the static website's error document locally and in Azure) and relative URLs would break there.
 */
export default defineConfig({
  root: webRoot,
  base: '/',
  plugins: [preact({ devToolsEnabled: false, prerender: { enabled: false } })],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // The size report reads the manifest to find the entry chunk and what it imports statically.
    manifest: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 200,
  },
  server: {
    port: 5173,
    proxy: {
      // The local host (npm start) serves the API; the dev server only adds hot reload for the UI.
      // 127.0.0.1, not localhost: the host listens on IPv4 and localhost may resolve to ::1 first.
      '/api': { target: 'http://127.0.0.1:7071', changeOrigin: false },
    },
  },
});
