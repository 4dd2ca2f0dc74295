// Finding, parsing and validating mkt.yaml. Errors name the file, line and column, and the field.
import { createHash } from 'node:crypto'
import { existsSync, readFileSync } from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { cacheDir, writeCacheEntry } from '../cache.js'
import { usageError } from '../errors.js'
import { packageRoot, templatesDir } from '../paths.js'
import type { Platform } from './schema.js'

export const CONFIG_FILE_NAMES = ['mkt.yaml', 'mkt.yml']

export interface LoadedPlatform {
  platform: Platform
  /** Absolute path of the file, or "built-in" for templates/mkt.yaml when no mkt.yaml was found. */
  source: string
}

/** Walks up from `startDir` looking for mkt.yaml, like git looks for .git. */
export function findConfigFile(startDir: string): string | undefined {
  let dir = resolve(startDir)
  for (;;) {
    for (const name of CONFIG_FILE_NAMES) {
      const candidate = join(dir, name)
      if (existsSync(candidate)) return candidate
    }
    const parent = dirname(dir)
    if (parent === dir) return undefined
    dir = parent
  }
}

export const builtInPlatformPath = () => join(templatesDir(), 'mkt.yaml')

export async function loadPlatform(options: { configPath?: string; cwd?: string } = {}): Promise<LoadedPlatform> {
  if (options.configPath) {
    const path = resolve(options.cwd ?? process.cwd(), options.configPath)
    if (!existsSync(path)) {
      throw usageError(`config file ${options.configPath} does not exist`, { hints: ['Pass --config with the path of an mkt.yaml, or run `mkt init` to create one.'] })
    }
    return { platform: await parsePlatformCached(readFileSync(path, 'utf8'), path), source: path }
  }
  const found = findConfigFile(options.cwd ?? process.cwd())
  if (found) return { platform: await parsePlatformCached(readFileSync(found, 'utf8'), found), source: found }
  return { platform: await parsePlatformCached(readFileSync(builtInPlatformPath(), 'utf8'), 'built-in mkt.yaml'), source: 'built-in' }
}

/**
 * Parses and validates mkt.yaml text, reusing an earlier validation of the same bytes (by the same mkt
 * version) from the cache: validation is pure, so content plus version is a complete key.
 */
export async function parsePlatformCached(text: string, label: string): Promise<Platform> {
  const key = createHash('sha256').update(`${mktVersion()}\0${text}`).digest('hex').slice(0, 32)
  const cacheFile = join(cacheDir(), `platform-${key}.json`)
  try {
    return JSON.parse(readFileSync(cacheFile, 'utf8')) as Platform
  } catch {
    // not cached yet (or unreadable): parse below
  }
  const { parsePlatform } = await import('./parse.js')
  const platform = parsePlatform(text, label)
  try {
    writeCacheEntry(basename(cacheFile), JSON.stringify(platform))
  } catch {
    // A read-only home is fine: we just parse every time.
  }
  return platform
}

let version: string | undefined
/**
 * The cache key's version part: the package version plus the build id written by `npm run build`, so a
 * schema change in a new build (same version number, during development) never reuses an old validation.
 */
function mktVersion(): string {
  if (version) return version
  const pkg = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version
  let build = 'source'
  try {
    build = readFileSync(join(packageRoot(), 'dist', 'build-id'), 'utf8').trim()
  } catch {
    // running from sources (tests): the schema is read fresh anyway
  }
  return (version = `${pkg}+${build}`)
}
