import js from '@eslint/js';
import { builtinModules } from 'node:module';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import { CLIENT_FORBIDDEN_GLOBALS, LAYERS, PROTOCOL_ALLOWED_PACKAGES, PROTOCOL_FORBIDDEN_GLOBALS } from './scripts/layers.mjs';

const forbidden = (names, message) => names.map((name) => ({ name, message }));
const escapeRegExp = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const NODE_MODULES = builtinModules.flatMap((name) => [name, `node:${name}`]);

export default tseslint.config(
  {
    ignores: ['**/dist/**', '**/node_modules/**', '**/.tsbuild/**', 'test-results/**', 'playwright-report/**', 'bench-results/**', '**/*.tgz'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Type-aware rules: each TypeScript file is linted with the types of the project
    // (tsconfig.json references) that holds it.
    files: ['**/*.{ts,tsx,mts,cts}'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // A promise nobody awaits loses its rejection: await it, return it, or mark it `void`.
      '@typescript-eslint/no-floating-promises': 'error',
      // A promise where a boolean or a void callback is expected (an `if`, an event handler).
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      // A switch over a union handles every member, so a new code fails here, not at run time.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { considerDefaultExhaustiveForUnions: true, requireDefaultForNonUnion: false }],
    },
  },
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
      'no-restricted-globals': [
        'error',
        ...forbidden(PROTOCOL_FORBIDDEN_GLOBALS, 'packages/protocol is pure: pass platform objects and time in from the caller.'),
      ],
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: `^(?!\\.\\.?/|(?:${PROTOCOL_ALLOWED_PACKAGES.map(escapeRegExp).join('|')})$)`,
              message: `packages/protocol imports only its own files and ${PROTOCOL_ALLOWED_PACKAGES.join(', ')}.`,
            },
          ],
        },
      ],
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
      'no-restricted-globals': [
        'error',
        ...forbidden(CLIENT_FORBIDDEN_GLOBALS, 'packages/client never touches the DOM or Node globals; inject platform pieces.'),
      ],
    },
  },
  // Which workspace packages, Node modules and npm packages each layer may import (the
  // relay cannot decrypt and must not pretend to: DESIGN.md §2). The dependency checker
  // (.dependency-cruiser.mjs) enforces the same from the same table, cycles included.
  ...Object.entries(LAYERS)
    .filter(([name]) => name !== 'protocol' && name !== 'units')
    .map(([name, layer]) => ({
      files: [`${layer.src}/**/*.{ts,tsx}`],
      ignores: ['**/*.test.{ts,tsx}'],
      rules: {
        'no-restricted-imports': [
          'error',
          {
            paths: layer.nodeBuiltins ? [] : NODE_MODULES,
            patterns: [
              ...Object.entries(LAYERS)
                .filter(([other]) => other !== name && !layer.mayImport.includes(other))
                .map(([, other]) => other.package),
              ...layer.forbiddenPackages,
            ],
          },
        ],
      },
    })),
  {
    // TEMPORARY (issue 12): these files pass promises where a void callback is expected
    // (no-misused-promises) or drop one (no-floating-promises, SafetyDialog.tsx:137). They
    // are being restructured on another branch; warn here until that lands, then delete
    // this block so the rules are errors everywhere.
    files: [
      'apps/web/src/dialogs/AccountDialog.tsx',
      'apps/web/src/dialogs/SafetyDialog.tsx',
      'apps/web/src/dialogs/SingleFieldDialog.tsx',
      'apps/web/src/screens/Unlock.tsx',
    ],
    rules: { '@typescript-eslint/no-floating-promises': 'warn', '@typescript-eslint/no-misused-promises': 'warn' },
  },
  {
    files: ['apps/web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
);
