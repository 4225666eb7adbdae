import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages export their TypeScript sources under this condition, so the app
// builds straight from packages/*/src with no separate build step.
const SOURCE_CONDITION = '@sealroom/source';

/** The relay a developer runs beside `vite` (`pnpm --filter @sealroom/relay start`). */
const DEV_RELAY_PORT = 8787;

export default defineConfig({
  plugins: [react()],
  resolve: { conditions: [SOURCE_CONDITION, ...defaultClientConditions] },
  server: {
    proxy: { '/ws': { target: `ws://127.0.0.1:${DEV_RELAY_PORT}`, ws: true } },
  },
  build: {
    target: 'es2022',
    // The polyfill is an inline <script>, which the relay's CSP (`script-src 'self'`)
    // blocks. Every browser with WebCrypto and ES2022 supports modulepreload natively.
    modulePreload: { polyfill: false },
    // Never inline assets as data: URLs (fonts or otherwise); everything is a file
    // served from 'self'.
    assetsInlineLimit: 0,
    // Keep CSS in files (style-src 'self', no inline <style>).
    cssCodeSplit: true,
    sourcemap: false,
    reportCompressedSize: false,
  },
});
