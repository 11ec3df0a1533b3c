import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';
import { precompress } from './precompress.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

// The embeddable chat widget: one self-contained IIFE (no chunks, no CSS file) at /widget.js.
export default defineConfig({
  logLevel: 'warn',
  publicDir: false,
  plugins: [precompress()],
  build: {
    outDir: here('./dist'),
    emptyOutDir: false,
    target: 'es2020',
    minify: true,
    sourcemap: false,
    lib: {
      entry: here('./widget/src/main.ts'),
      formats: ['iife'],
      name: 'PapoWidget',
      fileName: () => 'widget.js',
    },
  },
});
