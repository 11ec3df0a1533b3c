import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { precompress } from './precompress.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The operator dashboard: a plain SPA served by the Papo server under /dashboard/ (src/surfaces/web).
export default defineConfig({
  root: here('./dashboard'),
  base: '/dashboard/',
  plugins: [react(), precompress()],
  logLevel: 'warn',
  build: {
    outDir: here('./dist/dashboard'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
});
