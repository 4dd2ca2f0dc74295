// Reads the .cpuprofile files Node wrote (node --cpu-prof) and prints self time grouped by where the code
// comes from: an npm package (bundled code is mapped back through esbuild's source maps), mkt's own source
// file, Node's module loaders, GC, and V8's parsing/compiling ("(program)"). Used by bench/profile.sh.
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { SourceMap } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const [dir, top = '25'] = process.argv.slice(2)
const maps = new Map()
function sourceMapOf(file) {
  if (!maps.has(file)) {
    const mapFile = `${file}.map`
    maps.set(file, existsSync(mapFile) ? new SourceMap(JSON.parse(readFileSync(mapFile, 'utf8'))) : null)
  }
  return maps.get(file)
}

const packageOf = (path) => {
  const rest = path.split('node_modules/').pop()
  const parts = rest.split('/')
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]
}

/** The group a profile node's self time belongs to. */
function groupOf({ url, functionName, lineNumber, columnNumber }) {
  if (!url) {
    if (functionName === '(garbage collector)') return 'GC'
    if (functionName === '(program)') return '(program: V8 parse/compile, native code)'
    if (functionName === '(idle)') return '(idle: waiting for I/O)'
    return `(native) ${functionName}`
  }
  if (url.startsWith('node:internal/modules/esm')) return 'node: ESM loader'
  if (url.startsWith('node:internal/modules/cjs')) return 'node: CommonJS loader'
  if (url.startsWith('node:internal/modules')) return 'node: module loading (other)'
  if (url.startsWith('node:')) return `node: ${url.replace(/^node:(internal\/)?/, '').split('/')[0]}`
  const file = url.startsWith('file:') ? fileURLToPath(url) : url
  const map = sourceMapOf(file)
  const source = map?.findEntry(lineNumber, columnNumber)?.originalSource
  // esbuild's helpers have no source; V8 compiles a bundled CommonJS module's body when __commonJS first
  // calls it, and that compile time lands here.
  if (map && !source) return 'esbuild runtime (incl. compiling bundled CommonJS modules on first require)'
  const path = source ?? file
  if (path.includes('node_modules/')) return packageOf(path)
  const own = path.match(/(?:^|\/)(src|commands|bin|dist)\/(.*)$/)
  return own ? `mkt ${own[1]}/${own[2]}` : path
}

let total = 0
const byGroup = new Map()
const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))
for (const name of files) {
  const profile = JSON.parse(readFileSync(join(dir, name), 'utf8'))
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map()
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)))
  for (const [id, us] of self) {
    const group = groupOf(nodes.get(id).callFrame)
    byGroup.set(group, (byGroup.get(group) ?? 0) + us)
    total += us
  }
}
const rows = [...byGroup].sort((a, b) => b[1] - a[1])
const ms = (us) => `${(us / 1000).toFixed(1).padStart(8)} ms`
console.log(`self time by module (${files.length} process${files.length === 1 ? '' : 'es'}, ${ms(total).trim()} sampled)`)
for (const [group, us] of rows.slice(0, Number(top))) console.log(`${ms(us)}  ${((100 * us) / total).toFixed(1).padStart(5)}%  ${group}`)
const rest = rows.slice(Number(top)).reduce((s, [, us]) => s + us, 0)
if (rest > 0) console.log(`${ms(rest)}  ${((100 * rest) / total).toFixed(1).padStart(5)}%  (${rows.length - Number(top)} more)`)
