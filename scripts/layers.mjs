// What each layer of the workspace may touch (DESIGN.md §2; STYLE.md "A pure core,
// enforced"). One list per rule, read by every check that enforces it: the lint rules
// (eslint.config.js), the protocol's purity test (packages/protocol/test/purity.test.ts)
// and the dependency checker (.dependency-cruiser.mjs).

/**
 * packages/protocol is pure: WebCrypto, typed arrays and JSON only. No I/O, no platform
 * objects, no clock, no timers (and no Math.random, checked apart): the caller passes
 * platform objects and time in.
 */
export const PROTOCOL_FORBIDDEN_GLOBALS = Object.freeze([
  'window',
  'document',
  'self',
  'navigator',
  'location',
  'localStorage',
  'sessionStorage',
  'indexedDB',
  'fetch',
  'XMLHttpRequest',
  'WebSocket',
  'Worker',
  'setTimeout',
  'setInterval',
  'setImmediate',
  'clearTimeout',
  'clearInterval',
  'requestAnimationFrame',
  'process',
  'Buffer',
  'require',
  'global',
  'Date',
  'performance',
]);

/** packages/client runs in browsers and in Node: no DOM, no Node globals; platform pieces are injected. */
export const CLIENT_FORBIDDEN_GLOBALS = Object.freeze(['window', 'document', 'localStorage', 'sessionStorage', 'HTMLElement', 'Buffer', 'process']);

/**
 * The workspace's layers, with the workspace packages each one's sources may import (DESIGN.md
 * §2: UI → client → protocol; the relay never imports the protocol's crypto or the client).
 * `nodeBuiltins: false` forbids Node's modules (the code also runs in browsers);
 * `forbiddenPackages` names npm packages a layer must never pull in. Tests and scripts are not
 * layered: they may start a relay or reach into a package's files.
 */
export const LAYERS = Object.freeze({
  units: { package: '@sealroom/units', src: 'packages/units/src', mayImport: [], nodeBuiltins: false, forbiddenPackages: [] },
  protocol: { package: '@sealroom/protocol', src: 'packages/protocol/src', mayImport: ['units'], nodeBuiltins: false, forbiddenPackages: [] },
  client: {
    package: '@sealroom/client',
    src: 'packages/client/src',
    mayImport: ['protocol', 'units'],
    nodeBuiltins: false,
    // DOM libraries: the client is headless and runs in Node too.
    forbiddenPackages: ['react', 'react-dom'],
  },
  relay: { package: '@sealroom/relay', src: 'packages/relay/src', mayImport: ['units'], nodeBuiltins: true, forbiddenPackages: [] },
  // The app speaks to the protocol only through the client.
  web: { package: '@sealroom/web', src: 'apps/web/src', mayImport: ['client', 'units'], nodeBuiltins: false, forbiddenPackages: [] },
  // Benchmarks measure every layer.
  bench: {
    package: '@sealroom/bench',
    src: 'packages/bench/src',
    mayImport: ['units', 'protocol', 'client', 'relay'],
    nodeBuiltins: true,
    forbiddenPackages: [],
  },
});

/**
 * The only packages packages/protocol may import; everything else it imports is one of its
 * own files. `@sealroom/units` is pure constants, so it cannot carry impurity in.
 */
export const PROTOCOL_ALLOWED_PACKAGES = Object.freeze(LAYERS.protocol.mayImport.map((name) => LAYERS[name].package));
