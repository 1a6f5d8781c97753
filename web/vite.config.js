import { defineConfig } from 'vite';

// The build is committed (dist/) and embedded in the truceline binary by
// crates/server/build.rs; keep it small and reproducible: no source maps.
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: { '/v1': 'http://127.0.0.1:7878' },
  },
});
