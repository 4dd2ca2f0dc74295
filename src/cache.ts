// mkt's cache directory (~/.cache/mkt, XDG_CACHE_HOME/mkt or MKT_CACHE_DIR): private to the user (0700, files
// 0600) because what mkt caches describes the platform, and bounded: after each write only the newest
// MAX_CACHE_ENTRIES files stay, so a few hundred runs against changing inputs cannot grow it without end.
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'

export const MAX_CACHE_ENTRIES = 32
/** Names of cache entries (and their temporary files): `<kind>-<hex key>.json`. */
const ENTRY_NAME = /^[a-z]+-[0-9a-f]{16,64}\.json(\.\d+\.tmp)?$/
/** A temporary file older than this was left by a killed run. */
const STALE_TMP_MS = 10 * 60_000

export function cacheDir(): string {
  if (process.env.MKT_CACHE_DIR) return process.env.MKT_CACHE_DIR
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'mkt')
}

/** Writes one cache entry atomically (0600 in a 0700 directory), then drops the oldest entries beyond the bound. */
export function writeCacheEntry(name: string, text: string): void {
  if (!ENTRY_NAME.test(name)) throw new Error(`not a cache entry name: ${name}`)
  const dir = cacheDir()
  const created = mkdirSync(dir, { recursive: true, mode: 0o700 })
  // An existing directory keeps its mode: tighten the default one an older mkt created 0755 (a directory
  // named by MKT_CACHE_DIR is the user's to set).
  if (created === undefined && !process.env.MKT_CACHE_DIR && (statSync(dir).mode & 0o077) !== 0) chmodSync(dir, 0o700)
  const file = join(dir, name)
  const tmp = `${file}.${process.pid}.tmp`
  writeFileSync(tmp, text, { mode: 0o600 })
  renameSync(tmp, file)
  pruneCache(dir)
}

/** Keeps the newest MAX_CACHE_ENTRIES entries (by modification time) and removes stale temporary files. */
export function pruneCache(dir = cacheDir()): void {
  const now = Date.now()
  const entries: Array<{ path: string; mtimeMs: number }> = []
  for (const name of readdirSync(dir)) {
    if (!ENTRY_NAME.test(name)) continue // only what mkt writes, whatever else shares the directory
    const path = join(dir, name)
    try {
      const stat = statSync(path)
      if (!stat.isFile()) continue
      if (name.endsWith('.tmp')) {
        if (now - stat.mtimeMs > STALE_TMP_MS) rmSync(path, { force: true })
        continue
      }
      if ((stat.mode & 0o077) !== 0) chmodSync(path, 0o600)
      entries.push({ path, mtimeMs: stat.mtimeMs })
    } catch {
      // removed by a concurrent run meanwhile
    }
  }
  entries.sort((a, b) => b.mtimeMs - a.mtimeMs)
  for (const { path } of entries.slice(MAX_CACHE_ENTRIES)) rmSync(path, { force: true })
}
