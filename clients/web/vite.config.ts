import { loadEnv } from 'vite';
import { defineConfig } from 'vitest/config';
import react from '@vitejs/plugin-react';

// Dev server: `/production` (HTTP and WebSocket) is proxied to a gateway on 127.0.0.1:8080.
// Override with SWITCHBOARD_TARGET=http://127.0.0.1:5000 and SWITCHBOARD_STAGES=production,dev.
export default defineConfig(({ mode }) => {
  const env = loadEnv(mode, '.', 'SWITCHBOARD_');
  const target = env.SWITCHBOARD_TARGET || 'http://127.0.0.1:8080';
  const stages = (env.SWITCHBOARD_STAGES || 'production')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const proxy = Object.fromEntries(
    stages.map((stage) => [
      // `^/production(/|?|$)` so that e.g. /production-assets is not proxied
      `^/${stage.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:[/?]|$)`,
      { target, ws: true, changeOrigin: false },
    ]),
  );

  return {
    base: './',
    plugins: [react()],
    build: {
      outDir: 'dist',
      sourcemap: false,
      emptyOutDir: true,
    },
    server: { proxy },
    preview: { proxy },
    test: {
      include: ['src/**/*.test.ts'],
      environment: 'node',
    },
  };
});
