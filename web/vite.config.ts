// web/vite.config.ts — builds the web app into web/dist (served by `toonlora serve`); `vite` dev
// server proxies /api to a running `toonlora serve` on 7860.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root,
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { '/api': 'http://127.0.0.1:7860', '/openapi.json': 'http://127.0.0.1:7860' } },
});
