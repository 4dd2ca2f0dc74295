// npm run schemas: regenerates the JSON Schemas in schemas/ from the zod schemas (after npm run build).
// `--check` writes nothing and exits 1 when a committed schema is stale (the test suite runs that).
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { generatedSchemas } from '../dist/src/cli/schema-files.js'

const check = process.argv.includes('--check')
const stale = []
for (const [file, schema] of Object.entries(generatedSchemas())) {
  const path = join('schemas', file)
  const text = `${JSON.stringify(schema, null, 2)}\n`
  if (check) {
    if (!existsSync(path) || readFileSync(path, 'utf8') !== text) stale.push(path)
    continue
  }
  mkdirSync(join(path, '..'), { recursive: true })
  writeFileSync(path, text)
}
if (stale.length > 0) {
  console.error(`stale schemas (run npm run build && npm run schemas): ${stale.join(', ')}`)
  process.exit(1)
}
