import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let cachedRoot: string | undefined

/** The mkt package root (where package.json, templates/ and schemas/ live), from source or from dist/. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'mkt') return (cachedRoot = dir)
    const parent = dirname(dir)
    if (parent === dir) throw new Error('mkt package root not found')
    dir = parent
  }
}

export const templatesDir = () => join(packageRoot(), 'templates')
export const schemasDir = () => join(packageRoot(), 'schemas')
