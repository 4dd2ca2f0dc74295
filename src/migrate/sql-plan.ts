// What a SQL migration run would do, from the files and the history table, with postgrator's semantics: the
// database version is the highest version applied; files above it, up to the target, are pending; applied files
// whose checksum changed fail the run. Pure: sql-runner.ts reads the history and applies.
import { invalidInputError, usageError } from '../errors.js'
import type { MigrationFile } from './sql-files.js'

/** One row of the history table (postgrator's columns plus mkt's run_by). */
export interface AppliedRow {
  version: number
  name: string | null
  md5: string | null
  runAt: string | null
  runBy: string | null
}

export interface Drift {
  version: number
  file: string
  /** Checksum recorded when it was applied. */
  recorded: string
  /** Checksum of the file now. */
  actual: string
}

export interface SqlPlan {
  databaseVersion: number
  targetVersion: number
  /** --to as given; undefined means "the highest file". */
  requestedTo?: number
  pending: MigrationFile[]
  applied: Array<AppliedRow & { file: string | null }>
  /** Applied files changed since: the run fails (exit 65) until they are restored. */
  drifted: Drift[]
  /** Files below the database version that were never applied: postgrator will never apply them. */
  outOfOrder: MigrationFile[]
  /** Versions in the history without a file (deleted or renamed after being applied). */
  missing: AppliedRow[]
}

/** `--to <version>`: must name a file's version, so a typo does not silently apply everything. */
export function targetVersion(files: readonly MigrationFile[], to: number | undefined): number {
  const max = files.reduce((m, f) => Math.max(m, f.version), 0)
  if (to === undefined) return max
  if (!files.some((f) => f.version === to)) {
    throw usageError(`--to ${to}: no migration file has version ${to}`, { hints: [`Versions: ${files.map((f) => f.version).join(', ')}.`] })
  }
  return to
}

export function planSql(files: readonly MigrationFile[], history: readonly AppliedRow[], to?: number): SqlPlan {
  const target = targetVersion(files, to)
  // postgrator seeds its table with a version 0 row: it is not a migration.
  const rows = history.filter((r) => r.version > 0).sort((a, b) => a.version - b.version)
  const databaseVersion = rows.reduce((m, r) => Math.max(m, r.version), 0)
  const byVersion = new Map(files.map((f) => [f.version, f]))
  const appliedVersions = new Set(rows.map((r) => r.version))
  const drifted: Drift[] = []
  for (const row of rows) {
    const file = byVersion.get(row.version)
    if (file && row.md5 && row.md5 !== file.md5) drifted.push({ version: row.version, file: file.file, recorded: row.md5, actual: file.md5 })
  }
  return {
    databaseVersion,
    targetVersion: target,
    requestedTo: to,
    pending: files.filter((f) => f.version > databaseVersion && f.version <= target),
    applied: rows.map((r) => ({ ...r, file: byVersion.get(r.version)?.file ?? null })),
    drifted,
    outOfOrder: files.filter((f) => f.version < databaseVersion && !appliedVersions.has(f.version)),
    missing: rows.filter((r) => !byVersion.has(r.version)),
  }
}

/** Exit 65 naming every changed file: applied migrations are history, a change means someone edited the past. */
export function assertNoDrift(plan: SqlPlan): void {
  if (plan.drifted.length === 0) return
  const names = plan.drifted.map((d) => d.file).join(', ')
  throw invalidInputError(`${names} changed after ${plan.drifted.length === 1 ? 'it was' : 'they were'} applied (checksum ${plan.drifted.map((d) => `${d.recorded.slice(0, 8)}… → ${d.actual.slice(0, 8)}…`).join(', ')})`, {
    hints: ['Restore the applied file(s) as they were (git log -p) and put the change in a new migration with a higher version.'],
  })
}

/** Warnings a plan deserves: files that will never run, history rows without a file, a target below the database. */
export function planWarnings(plan: SqlPlan): string[] {
  const warnings: string[] = []
  if (plan.outOfOrder.length > 0) {
    warnings.push(`${plan.outOfOrder.map((f) => f.file).join(', ')} ${plan.outOfOrder.length === 1 ? 'is' : 'are'} below the database version ${plan.databaseVersion} and will never be applied; give ${plan.outOfOrder.length === 1 ? 'it' : 'them'} a higher version`)
  }
  if (plan.missing.length > 0) warnings.push(`applied version(s) ${plan.missing.map((r) => `${r.version}${r.name ? ` (${r.name})` : ''}`).join(', ')} have no file in the directory`)
  if (plan.targetVersion < plan.databaseVersion) {
    // Without --to the target is the highest file: the database holds versions this directory does not have.
    warnings.push(
      plan.requestedTo === undefined
        ? `the database is at version ${plan.databaseVersion}, past the highest file here (${plan.targetVersion}); is this the right directory and database?`
        : `the database is at version ${plan.databaseVersion}, past --to ${plan.targetVersion}; migrations only go forward`,
    )
  }
  return warnings
}
