// npm run build:
// 1. tsc compiles everything to dist/ (the engine, the sandbox process, tests' imports).
// 2. esbuild bundles the CLI entry and one entry per command into dist/cli/ with shared chunks, so a
//    command loads one small file plus the chunks it needs; @oclif/core, yaml, zod and @kubernetes/client-node
//    are bundled (parsed once, no module-resolution walk) and the heavy ones sit in chunks loaded only by the
//    code paths that import() them; the Azure SDKs stay external.
// 3. oclif writes oclif.manifest.json so help and command lookup never import command files.
import { execFileSync } from 'node:child_process'
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
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
const bundle = await build({
  metafile: true,
  entryPoints: { run: 'src/cli/run.ts', help: 'src/cli/help.ts', 'hooks/command-not-found': 'src/cli/hooks/command-not-found.ts', ...commandEntries },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'chunks/[name]-[hash]',
  // Whitespace and syntax only (names stay readable in stack traces): @kubernetes/client-node, bundled, then
  // loads in ~85 ms instead of ~320 ms from node_modules, which is most of `mkt rollback`'s time to first write.
  minifyWhitespace: true,
  minifySyntax: true,
  // Everything heavy stays in node_modules and is imported lazily where it is needed.
  external: [
    '@azure/*',
    'execa',
    'listr2',
    'node-forge',
    'pg',
    '@electric-sql/*',
    'prom-client',
    '@opentelemetry/*',
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
  Object.entries(bundle.metafile.outputs).map(([file, output]) => [
    file,
    [...new Set(Object.keys(output.inputs).filter((i) => i.includes('node_modules/')).map((i) => i.split('node_modules/').pop().split('/').slice(0, i.split('node_modules/').pop().startsWith('@') ? 2 : 1).join('/')))].sort(),
  ]),
)
writeFileSync('dist/cli/packages.json', `${JSON.stringify(packagesByOutput, null, 2)}\n`)
// A new id per build: the validated-mkt.yaml cache is keyed on it (src/platform/load.ts).
writeFileSync('dist/build-id', `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}\n`)
run(require.resolve('oclif/bin/run.js'), ['manifest'])
