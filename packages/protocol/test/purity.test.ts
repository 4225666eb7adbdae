/**
 * packages/protocol is pure: WebCrypto, typed arrays and JSON only. This scan runs with the
 * unit tests (the ESLint rule in eslint.config.js enforces the same at lint time, from the
 * same lists in scripts/layers.mjs), and a self-test proves the scan catches what it must.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PROTOCOL_ALLOWED_PACKAGES, PROTOCOL_FORBIDDEN_GLOBALS } from '../../../scripts/layers.mjs';

const SRC = fileURLToPath(new URL('../src/', import.meta.url));
/** The one package src/ may import: it must stay as pure as src/ itself, and import nothing. */
const UNITS_SRC = fileURLToPath(new URL('../../units/src/', import.meta.url));

const NODE_MODULES = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));
const RELATIVE_IMPORT = /^\.\.?\//;
const ALLOWED_PACKAGES = new Set(PROTOCOL_ALLOWED_PACKAGES);

/** Problems in one source text: non-relative imports, forbidden globals, Math.random. */
export function impurities(source: string): string[] {
  const problems: string[] = [];
  // Strip comments and string contents so prose and labels do not trip the scan.
  const code = source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:])\/\/.*$/gm, '$1')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, (m) => (/^'\.\.?\//.test(m) ? m : "''"))
    .replace(/`(?:[^`\\]|\\.)*`/g, '``');
  for (const match of source.matchAll(/(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)) {
    const spec = match[1]!;
    if (NODE_MODULES.has(spec)) problems.push(`imports Node module ${spec}`);
    else if (!RELATIVE_IMPORT.test(spec) && !ALLOWED_PACKAGES.has(spec)) problems.push(`imports package ${spec}`);
  }
  for (const match of source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) problems.push(`dynamic import ${match[1]}`);
  for (const name of PROTOCOL_FORBIDDEN_GLOBALS) {
    // A bare use of the name: not a property access (x.name), not an object key (name:).
    const pattern = new RegExp(`(?<![.\\w$'"])${name}(?![\\w$'":])`);
    if (pattern.test(code)) problems.push(`uses global ${name}`);
  }
  if (/Math\s*\.\s*random/.test(code)) problems.push('uses Math.random');
  return problems;
}

describe('protocol purity', () => {
  it('src/ imports only relative modules and pure constants, and touches no platform globals', () => {
    const files = readdirSync(SRC).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(10);
    const found = files.flatMap((file) => impurities(readFileSync(join(SRC, file), 'utf8')).map((p) => `${file}: ${p}`));
    expect(found).toEqual([]);
  });

  it('@sealroom/units, which src/ may import, imports nothing and touches no platform globals', () => {
    const files = readdirSync(UNITS_SRC).filter((f) => f.endsWith('.ts'));
    expect(files.length).toBeGreaterThan(0);
    const found = files.flatMap((file) => {
      const source = readFileSync(join(UNITS_SRC, file), 'utf8');
      const imports = /^\s*import\s/m.test(source) ? ['imports a module'] : [];
      return [...imports, ...impurities(source)].map((p) => `${file}: ${p}`);
    });
    expect(found).toEqual([]);
  });

  it('the scan catches each kind of impurity (self-test)', () => {
    expect(impurities("import { readFileSync } from 'node:fs';")).toContain('imports Node module node:fs');
    expect(impurities("import WebSocket from 'ws';")).toContain('imports package ws');
    expect(impurities("import { x } from '@sealroom/client';")).toContain('imports package @sealroom/client');
    expect(impurities("import { x } from '@sealroom/units/extra';")).toContain('imports package @sealroom/units/extra');
    expect(impurities('const now = Date.now();')).toContain('uses global Date');
    expect(impurities('setTimeout(() => {}, 1);')).toContain('uses global setTimeout');
    expect(impurities('const r = Math.random();')).toContain('uses Math.random');
    expect(impurities('window.localStorage.getItem("k");')).toContain('uses global window');
    expect(impurities("const b = Buffer.from('x');")).toContain('uses global Buffer');
    expect(impurities("const x = await import('node:crypto');")).toContain('dynamic import node:crypto');
    // Allowed: relative imports, the units, crypto.subtle, words in comments and strings, property names.
    expect(impurities("import { a } from './a.js';\nimport { KIB } from '@sealroom/units';\n// Date and window in a comment\nconst s = 'Date';\nconst o = { self: 1 }.self;\nglobalThis.crypto.subtle;")).toEqual([]);
  });
});
