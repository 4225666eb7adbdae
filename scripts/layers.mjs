// What each layer of the workspace may touch (DESIGN.md §2; STYLE.md "A pure core,
// enforced"). One list per rule, read by every check that enforces it: the lint rules
// (eslint.config.js), the protocol's purity test (packages/protocol/test/purity.test.ts)
// and the dependency checker (.dependency-cruiser.cjs).

/**
 * packages/protocol is pure: WebCrypto, typed arrays and JSON only. No I/O, no platform
 * objects, no clock, no timers (and no Math.random, checked apart): the caller passes
 * platform objects and time in.
 */
export const PROTOCOL_FORBIDDEN_GLOBALS = Object.freeze([
  'window', 'document', 'self', 'navigator', 'location', 'localStorage', 'sessionStorage', 'indexedDB', 'fetch',
  'XMLHttpRequest', 'WebSocket', 'Worker', 'setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval',
  'requestAnimationFrame', 'process', 'Buffer', 'require', 'global', 'Date', 'performance',
]);

/**
 * The only packages packages/protocol may import; everything else it imports is one of its
 * own files. `@sealroom/units` is pure constants, so it cannot carry impurity in.
 */
export const PROTOCOL_ALLOWED_PACKAGES = Object.freeze(['@sealroom/units']);

/** packages/client runs in browsers and in Node: no DOM, no Node globals; platform pieces are injected. */
export const CLIENT_FORBIDDEN_GLOBALS = Object.freeze([
  'window', 'document', 'localStorage', 'sessionStorage', 'HTMLElement', 'Buffer', 'process',
]);
