/// <reference types="vitest/config" />
import { defineConfig } from 'vite';

// The bundle is embedded by Tauri (`frontendDist: "../ui/dist"`) and loaded from a custom protocol,
// so every URL is relative. Nothing is fetched from the network at run time.
export default defineConfig({
  base: './',
  oxc: {
    jsx: { runtime: 'automatic', importSource: 'preact' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    assetsInlineLimit: 0,
    sourcemap: false,
  },
  test: {
    environment: 'happy-dom',
    include: ['test/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
