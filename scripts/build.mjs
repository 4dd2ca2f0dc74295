// npm run build:
// 1. tsc compiles everything to dist/ (the engine, the sandbox process, tests' imports).
// 2. esbuild bundles the CLI entry and one entry per command into dist/cli/ with shared chunks, so a
//    command loads one small file plus the chunks it needs; @oclif/core, yaml, zod and @kubernetes/client-node
//    are bundled (parsed once, no module-resolution walk) and the heavy ones sit in chunks loaded only by the
//    code paths that import() them; the Azure SDKs stay external.
// 3. oclif writes oclif.manifest.json so help and command lookup never import command files.
import { execFileSync } from 'node:child_process'
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { build } from 'esbuild'

const require = createRequire(import.meta.url)
const run = (file, args) => execFileSync(process.execPath, [file, ...args], { stdio: 'inherit' })
const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)]))

rmSync('dist', { recursive: true, force: true })
rmSync('oclif.manifest.json', { force: true })
run(require.resolve('typescript/bin/tsc'), ['-p', 'tsconfig.json'])

const commandEntries = Object.fromEntries(
  walk('commands')
    .filter((f) => f.endsWith('.ts'))
    .map((f) => [f.replace(/\.ts$/, ''), f]),
)
// The SDKs' entry points export far more than mkt uses (@kubernetes/client-node: every API group, 5 MB
// bundled), and an import() namespace cannot be tree-shaken. So mkt's imports of these packages resolve to a
// generated module re-exporting only the names that appear as words in mkt's sources (a new `k8s.BatchV1Api`
// or `{ SecretClient }` is picked up by the next build); esbuild drops the rest, which halves what
// `mkt health` and `mkt rollback` parse.
const SUBSET_PACKAGES = ['@kubernetes/client-node', '@azure/service-bus', '@azure/identity', '@azure/keyvault-secrets', '@azure/arm-containerservice']
const sourceWords = new Set(
  [...walk('src'), ...walk('commands')]
    .filter((f) => f.endsWith('.ts') && !f.startsWith(join('src', 'sandbox')))
    .flatMap((f) => readFileSync(f, 'utf8').match(/[A-Za-z_$][\w$]*/g) ?? []),
)
const usedExportsOnly = {
  name: 'used-exports-only',
  setup(b) {
    const filter = new RegExp(`^(${SUBSET_PACKAGES.map((p) => p.replace(/[/.-]/g, '\\$&')).join('|')})$`)
    b.onResolve({ filter }, (args) => (args.namespace === 'used-exports' ? undefined : { path: args.path, namespace: 'used-exports' }))
    b.onLoad({ filter: /.*/, namespace: 'used-exports' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((name) => name !== 'default' && sourceWords.has(name))
      return { contents: `export { ${names.join(', ')} } from '${args.path}'\n`, resolveDir: process.cwd(), loader: 'js' }
    })
  },
}
// node-fetch 2 (under @kubernetes/client-node) takes URL from node:url and imports whatwg-url only as a
// fallback for runtimes without one: 300 kB of Unicode tables every Kubernetes command would parse for nothing.
const builtinUrl = {
  name: 'builtin-url',
  setup(b) {
    b.onResolve({ filter: /^whatwg-url$/ }, () => ({ path: 'whatwg-url', namespace: 'builtin-url' }))
    b.onLoad({ filter: /.*/, namespace: 'builtin-url' }, () => ({ contents: 'export const URL = globalThis.URL\nexport default { URL }\n', loader: 'js' }))
  },
}
// @oclif/core's index requires every part of oclif and checks the Node version (semver, package.json) when
// it is imported. mkt's imports of it resolve to its subpath exports instead, so a command evaluates only the
// parts it uses. A name missing here fails the build ("No matching export").
const OCLIF_PARTS = `
export * as Args from '@oclif/core/args'
export { Command } from '@oclif/core/command'
export * as Errors from '@oclif/core/errors'
export { execute } from '@oclif/core/execute'
export * as Flags from '@oclif/core/flags'
export { Help } from '@oclif/core/help'
`
const oclifParts = {
  name: 'oclif-parts',
  setup(b) {
    b.onResolve({ filter: /^@oclif\/core$/ }, (args) => (args.importer.includes('node_modules') ? undefined : { path: '@oclif/core', namespace: 'oclif-parts' }))
    b.onLoad({ filter: /.*/, namespace: 'oclif-parts' }, () => ({ contents: OCLIF_PARTS, resolveDir: process.cwd(), loader: 'js' }))
  },
}
const bundle = await build({
  plugins: [usedExportsOnly, builtinUrl, oclifParts],
  metafile: true,
  entryPoints: { run: 'src/cli/run.ts', help: 'src/cli/help.ts', 'hooks/command-not-found': 'src/cli/hooks/command-not-found.ts', ...commandEntries },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // ESM builds first (the `module` field, as bundlers do): a CommonJS package reached by import() would come
  // back as a bare default export from a split chunk, e.g. @azure/service-bus 7.
  mainFields: ['module', 'main'],
  chunkNames: 'chunks/[name]-[hash]',
  // Whitespace and syntax only (names stay readable in stack traces): @kubernetes/client-node, bundled, then
  // loads in ~85 ms instead of ~320 ms from node_modules, which is most of `mkt rollback`'s time to first write.
  minifyWhitespace: true,
  minifySyntax: true,
  // Maps beside the chunks, not referenced from them (nothing loads them at run time): bench/profile.sh reads
  // them to put bundled code's time on the package it came from.
  sourcemap: 'external',
  // Everything heavy stays in node_modules and is imported lazily where it is needed.
  external: [
    'node-forge',
    'pg',
    '@electric-sql/*',
    '@oclif/plugin-*',
    'typescript',
    'ts-node',
    'tsx',
  ],
  // Bundled CommonJS dependencies of @oclif/core call require(); give ESM one.
  banner: { js: "import { createRequire as __mktCreateRequire } from 'node:module'; const require = __mktCreateRequire(import.meta.url);" },
  logLevel: 'warning',
})
// Which packages each output file carries: the startup test checks that fast commands load no SDK chunk.
const packagesByOutput = Object.fromEntries(
  Object.entries(bundle.metafile.outputs).filter(([file]) => !file.endsWith('.map')).map(([file, output]) => [
    file,
    [...new Set(Object.keys(output.inputs).filter((i) => i.includes('node_modules/')).map((i) => i.split('node_modules/').pop().split('/').slice(0, i.split('node_modules/').pop().startsWith('@') ? 2 : 1).join('/')))].sort(),
  ]),
)
if (process.env.MKT_BUILD_METAFILE) writeFileSync(process.env.MKT_BUILD_METAFILE, JSON.stringify(bundle.metafile))
writeFileSync('dist/cli/packages.json', `${JSON.stringify(packagesByOutput, null, 2)}\n`)
// A new id per build: the validated-mkt.yaml cache is keyed on it (src/platform/load.ts).
writeFileSync('dist/build-id', `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}\n`)
run(require.resolve('oclif/bin/run.js'), ['manifest'])
