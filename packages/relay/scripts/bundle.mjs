// The relay's runtime JavaScript. esbuild bundles src/index.ts and src/cli.ts into dist/ so
// that workspace packages (@sealroom/units) are inlined: the published tarball depends on
// its npm runtime dependencies only, never on an unpublished workspace package. tsc still
// typechecks and writes the declarations (tsconfig.build.json emits declarations only).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkgDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(pkgDir, 'dist');
/** Written by scripts/pack-web.mjs at pack time; not ours to delete. */
const WEB_DIR = join(dist, 'web');
const WORKSPACE_SCOPE = '@sealroom/';

const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
const runtime = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies, ...pkg.optionalDependencies });
if (runtime.some((name) => name.startsWith(WORKSPACE_SCOPE))) {
  fail(`a workspace package is a runtime dependency (${runtime.join(', ')}); make it a devDependency, it is inlined`);
}

/** Every .js left by an earlier build (a tsc emit or other chunk names) would be published. */
function removeJs(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== WEB_DIR) removeJs(path);
    } else if (/\.(?:js|js\.map)$/.test(entry.name)) {
      rmSync(path);
    }
  }
}

function fail(message) {
  console.error(`relay bundle: ${message}`);
  process.exit(1);
}

removeJs(dist);
const result = await build({
  absWorkingDir: pkgDir,
  entryPoints: ['src/index.ts', 'src/cli.ts'],
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Workspace packages from their TypeScript sources, as tests and the app take them.
  conditions: ['@sealroom/source'],
  // npm runtime dependencies stay imports, installed beside the package (Node builtins are
  // external on platform 'node').
  external: runtime.flatMap((name) => [name, `${name}/*`]),
  // relay.ts imports the Redis store lazily so ioredis loads only with --redis. Splitting
  // keeps that import a chunk of its own (without it, esbuild hoists `import 'ioredis'`
  // to the top of the bundle).
  splitting: true,
  // Chunks sit beside the entries, in dist/: code that finds the package directory from
  // its own import.meta.url (`..`) works from whichever file it lands in.
  chunkNames: '[name]-[hash]',
  metafile: true,
  logLevel: 'warning',
});

// Nothing from the workspace may be left for npm to resolve, in the code or the types.
for (const [file, output] of Object.entries(result.metafile.outputs)) {
  const leaked = output.imports.filter((i) => i.external && i.path.startsWith(WORKSPACE_SCOPE));
  if (leaked.length > 0) fail(`${file} still imports ${leaked.map((i) => i.path).join(', ')}`);
}
function checkDeclarations(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (path !== WEB_DIR) checkDeclarations(path);
    } else if (entry.name.endsWith('.d.ts') && /['"]@sealroom\//.test(readFileSync(path, 'utf8'))) {
      fail(`${relative(pkgDir, path)} refers to a workspace package, which the published package cannot resolve`);
    }
  }
}
if (existsSync(dist)) checkDeclarations(dist);
