// Versioned SQL migration files: `V001__create_assets.sql` (the Flyway convention, which EF Core scripts and most
// teams already follow). Parsing and checksums are pure; readSqlDir is the only I/O.
import { createHash } from 'node:crypto'
import { readdir, stat } from 'node:fs/promises'
import { readInputFile } from '../input-file.js'
import { basename, join, resolve } from 'node:path'
import { invalidInputError, usageError } from '../errors.js'

export interface MigrationFile {
  version: number
  /** The description part of the name, `create_assets`. */
  name: string
  /** The file name, `V001__create_assets.sql`. */
  file: string
  path: string
  sql: string
  /** md5 of the content with line endings normalised (see checksum). */
  md5: string
}

const NAME = /^V(\d+)__(.+)\.sql$/

/**
 * Parses `V<version>__<description>.sql`. Returns undefined for files that are not SQL (README.md next to the
 * migrations is fine); throws for a .sql file that looks like a migration but is misnamed, because a file that is
 * silently skipped is a migration that silently never runs.
 */
export function parseMigrationName(file: string): { version: number; name: string } | undefined {
  if (!file.toLowerCase().endsWith('.sql')) return undefined
  const match = NAME.exec(file)
  if (!match) {
    const hint = /^[RU]\d*__/.test(file) ? 'repeatable (R__) and undo (U) migrations are not supported' : 'expected V<version>__<description>.sql, like V001__create_assets.sql'
    throw invalidInputError(`migration file ${file} is misnamed: ${hint}`)
  }
  const version = Number(match[1])
  if (!Number.isSafeInteger(version) || version < 1) throw invalidInputError(`migration file ${file}: the version must be a whole number from 1`)
  return { version, name: match[2]! }
}

/**
 * The checksum recorded in the history table: md5 (what postgrator stores) of the content with CRLF/CR turned into
 * LF and a UTF-8 byte-order mark dropped, so a Windows checkout of an unchanged file does not count as a change.
 */
export function checksum(content: string): string {
  const normalised = content.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n')
  return createHash('md5').update(normalised, 'utf8').digest('hex')
}

/** Orders files by version and rejects two files with one version (V1__a.sql and V001__b.sql). */
export function sortMigrations(files: MigrationFile[]): MigrationFile[] {
  const sorted = [...files].sort((a, b) => a.version - b.version)
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]!.version === sorted[i - 1]!.version) {
      throw invalidInputError(`two migration files have version ${sorted[i]!.version}: ${sorted[i - 1]!.file} and ${sorted[i]!.file}`)
    }
  }
  return sorted
}

/** Reads every migration file of a directory (not recursive), sorted by version. */
export async function readSqlDir(dir: string): Promise<MigrationFile[]> {
  const path = resolve(dir)
  let names: string[]
  try {
    if (!(await stat(path)).isDirectory()) throw usageError(`--sql ${dir} is not a directory`)
    names = await readdir(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw usageError(`--sql ${dir}: no such directory`)
    // ENAMETOOLONG, EACCES, ELOOP…: the path given cannot be used as it is.
    if (code) throw usageError(`--sql ${dir.length > 80 ? `${dir.slice(0, 80)}…` : dir}: cannot read it (${code})`)
    throw error
  }
  const files: MigrationFile[] = []
  for (const file of names.sort()) {
    const parsed = parseMigrationName(basename(file))
    if (!parsed) continue
    const full = join(path, file)
    const sql = readInputFile(full, { what: 'migration file', refuse: (message, hints) => invalidInputError(message, { hints }) })
    files.push({ ...parsed, file, path: full, sql, md5: checksum(sql) })
  }
  if (files.length === 0) throw usageError(`--sql ${dir} has no migration files (V001__description.sql …)`)
  return sortMigrations(files)
}

/** 1-based line of a character position (PostgreSQL reports `position` in the statement text, 1-based). */
export function lineOf(sql: string, position: number): number {
  return sql.slice(0, Math.max(0, position - 1)).split('\n').length
}
