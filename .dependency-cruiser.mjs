// Import rules for the whole workspace, apps/web included: no import cycle anywhere, and no
// layer crossing (DESIGN.md §2). Which layer may import which comes from scripts/layers.mjs,
// which the lint rules and the protocol's purity test read too. Run: `pnpm deps` (part of
// `pnpm lint`).
import { LAYERS } from './scripts/layers.mjs';

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const under = (dir) => `^${escape(dir)}/`;
const names = Object.keys(LAYERS);
/** Tests beside the sources (apps/web/src/lib/save.test.ts) run in Node and may use anything. */
const TESTS = '\\.test\\.tsx?$';

/** A layer's sources import no other layer's sources than those it may use. */
const crossings = names.map((name) => {
  const layer = LAYERS[name];
  const others = names.filter((other) => other !== name && !layer.mayImport.includes(other));
  return {
    name: `layer-${name}`,
    comment: `${layer.src} may import ${layer.mayImport.map((other) => LAYERS[other].package).join(', ') || 'no other workspace package'}`,
    severity: 'error',
    from: { path: under(layer.src), pathNot: TESTS },
    to: { path: others.map((other) => under(LAYERS[other].src.replace(/\/src$/, ''))) },
  };
});

/** Node's modules and DOM libraries, where a layer must not touch them. */
const platform = names.flatMap((name) => {
  const layer = LAYERS[name];
  const rules = [];
  if (!layer.nodeBuiltins) {
    rules.push({
      name: `node-builtins-${name}`,
      comment: `${layer.src} also runs in browsers: no Node modules`,
      severity: 'error',
      from: { path: under(layer.src), pathNot: TESTS },
      to: { dependencyTypes: ['core'] },
    });
  }
  if (layer.forbiddenPackages.length > 0) {
    rules.push({
      name: `packages-${name}`,
      comment: `${layer.src} never imports ${layer.forbiddenPackages.join(', ')}`,
      severity: 'error',
      from: { path: under(layer.src), pathNot: TESTS },
      to: { path: layer.forbiddenPackages.map((pkg) => `(^|/)node_modules/${escape(pkg)}/`) },
    });
  }
  return rules;
});

/** The protocol is pure and the units are numbers: nothing outside the layers they may use. */
const pure = ['units', 'protocol'].map((name) => ({
  name: `pure-${name}`,
  comment: `${LAYERS[name].src} imports only its own files${LAYERS[name].mayImport.map((other) => ` and ${LAYERS[other].package}`).join('')}`,
  severity: 'error',
  from: { path: under(LAYERS[name].src), pathNot: TESTS },
  to: { pathNot: [name, ...LAYERS[name].mayImport].map((layer) => under(LAYERS[layer].src)) },
}));

const CYCLE =
  'An import cycle: the modules cannot be understood, tested or loaded one at a time. Move the shared part (often types) into a module both import.';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      comment: CYCLE,
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    ...crossings,
    ...platform,
    ...pure,
    {
      name: 'not-to-unresolvable',
      comment: 'An import that resolves to nothing on disk.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: '(^|/)node_modules/' },
    exclude: { path: ['(^|/)dist/', '(^|/)\\.tsbuild/', '(^|/)node_modules/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.base.json' },
    // Workspace packages from their sources, as Vite, Vitest and tsc resolve them.
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['@sealroom/source', 'import', 'types', 'node', 'default'],
      extensions: ['.ts', '.tsx', '.mts', '.js', '.mjs', '.json'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
