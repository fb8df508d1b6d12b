import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// Built with `vite build portal`; `vite portal` is a dev server with hot reload that sends API
// calls to a running `npm start` on its default port.
export default defineConfig({
  base: '/',
  plugins: [react()],
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  server: { proxy: { '/v1': 'http://127.0.0.1:3000' } },
});
