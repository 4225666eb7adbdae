import react from '@vitejs/plugin-react';
import { defaultClientConditions, defineConfig } from 'vite';

// Workspace packages export their TypeScript sources under this condition, so the app
// builds straight from packages/*/src with no separate build step.
const SOURCE_CONDITION = '@sealroom/source';

/** The relay a developer runs beside `vite` (`pnpm --filter @sealroom/relay start`). */
const DEV_RELAY_PORT = 8787;

/** Above the lazy password-dictionary chunk (see build below), in Vite's kB. */
const PASSWORD_DICTIONARY_CHUNK_KB = 1_400;

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
    // The one chunk over Vite's 500 kB default is the password dictionaries (@zxcvbn-ts
    // language-common, about 1.2 MB), loaded lazily only on the screens that ask for a
    // password. What a first visit pays is held by scripts/bundle-size.mjs (initial JS
    // under 150 KB gzipped), so the generic warning only alarms someone running `npm start`.
    chunkSizeWarningLimit: PASSWORD_DICTIONARY_CHUNK_KB,
  },
});
