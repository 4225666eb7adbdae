import js from '@eslint/js';
import { builtinModules } from 'node:module';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

// packages/protocol is pure: WebCrypto, typed arrays and JSON only. No I/O, no
// platform objects, no clock, no timers, no Math.random (DESIGN.md §2, STYLE.md).
const PROTOCOL_FORBIDDEN_GLOBALS = [
  'window', 'document', 'self', 'navigator', 'location', 'localStorage', 'sessionStorage',
  'indexedDB', 'fetch', 'XMLHttpRequest', 'WebSocket', 'Worker', 'setTimeout', 'setInterval',
  'setImmediate', 'clearTimeout', 'clearInterval', 'requestAnimationFrame', 'process', 'Buffer',
  'require', 'global', 'Date', 'performance',
].map((name) => ({ name, message: 'packages/protocol is pure: pass platform objects and time in from the caller.' }));

// packages/client runs in browsers and in Node: no DOM.
const CLIENT_FORBIDDEN_GLOBALS = ['window', 'document', 'localStorage', 'sessionStorage', 'HTMLElement', 'Buffer', 'process']
  .map((name) => ({ name, message: 'packages/client never touches the DOM or Node globals; inject platform pieces.' }));

const NODE_MODULES = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', '**/*.tgz'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'Math', property: 'random', message: 'Use crypto.getRandomValues.' }],
    },
  },
  {
    files: ['packages/protocol/src/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-globals': ['error', ...PROTOCOL_FORBIDDEN_GLOBALS],
      'no-restricted-imports': ['error', { paths: NODE_MODULES, patterns: ['@sealroom/*', 'ws', 'idb-keyval'] }],
    },
  },
  {
    files: ['packages/client/src/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...CLIENT_FORBIDDEN_GLOBALS],
      'no-restricted-imports': ['error', { paths: NODE_MODULES, patterns: ['react', 'react-dom', '@sealroom/relay'] }],
    },
  },
  {
    files: ['packages/relay/src/**/*.ts'],
    rules: {
      // The relay cannot decrypt and must not pretend to (DESIGN.md §2).
      'no-restricted-imports': ['error', { patterns: ['@sealroom/protocol', '@sealroom/client'] }],
    },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
);
