import js from '@eslint/js';
import { builtinModules } from 'node:module';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import { CLIENT_FORBIDDEN_GLOBALS, PROTOCOL_ALLOWED_PACKAGES, PROTOCOL_FORBIDDEN_GLOBALS } from './scripts/layers.mjs';

const forbidden = (names, message) => names.map((name) => ({ name, message }));
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

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
      // Pure: no I/O, no platform objects, no clock, no timers (DESIGN.md §2, STYLE.md).
      'no-restricted-globals': ['error', ...forbidden(PROTOCOL_FORBIDDEN_GLOBALS, 'packages/protocol is pure: pass platform objects and time in from the caller.')],
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: `^(?!\\.\\.?/|(?:${PROTOCOL_ALLOWED_PACKAGES.map(escapeRegExp).join('|')})$)`,
          message: `packages/protocol imports only its own files and ${PROTOCOL_ALLOWED_PACKAGES.join(', ')}.`,
        }],
      }],
    },
  },
  {
    // Every package may import the units, the relay and protocol included: numbers only.
    files: ['packages/units/src/**/*.ts'],
    languageOptions: { globals: {} },
    rules: {
      'no-restricted-globals': ['error', ...forbidden(PROTOCOL_FORBIDDEN_GLOBALS, 'packages/units is pure constants.')],
      'no-restricted-imports': ['error', { patterns: [{ regex: '.', message: 'packages/units imports nothing: it is pure constants.' }] }],
    },
  },
  {
    files: ['packages/client/src/**/*.ts'],
    rules: {
      'no-restricted-globals': ['error', ...forbidden(CLIENT_FORBIDDEN_GLOBALS, 'packages/client never touches the DOM or Node globals; inject platform pieces.')],
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
