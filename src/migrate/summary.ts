// Engine results → the --json contract (result-schemas.ts) and the lines people read. Pure.
import { MktError } from '../errors.js'
import type { DatabaseConnection } from './connection.js'
import { describeTarget } from './connection.js'
import type { JobRunResult } from './job-runner.js'
import type { MigratePlanResult, MigrateRunResult, MigrateStatusResult } from './result-schemas.js'
import type { MigrationFile } from './sql-files.js'
import type { AppliedRow, SqlPlan } from './sql-plan.js'
import { HISTORY_TABLE, type SqlRunResult } from './sql-runner.js'

const fileJson = (f: MigrationFile) => ({ version: f.version, name: f.name, file: f.file, checksum: f.md5 })
const rowJson = (r: AppliedRow & { file?: string | null }) => ({ version: r.version, name: r.name, file: r.file ?? null, checksum: r.md5, appliedAt: r.runAt, appliedBy: r.runBy })

export function planJson(environment: string, db: DatabaseConnection, plan: SqlPlan): MigratePlanResult {
  return {
    environment,
    database: db.target,
    source: db.source,
    historyTable: HISTORY_TABLE,
    databaseVersion: plan.databaseVersion,
    targetVersion: plan.targetVersion,
    pending: plan.pending.map(fileJson),
    applied: plan.applied.map(rowJson),
    drifted: plan.drifted,
    outOfOrder: plan.outOfOrder.map(fileJson),
    missing: plan.missing.map((r) => rowJson({ ...r, file: null })),
  }
}

/** `migrate status --sql`: the history table newest first, with what the directory still has pending. */
export function sqlStatusJson(environment: string, db: DatabaseConnection, plan: SqlPlan, limit: number): MigrateStatusResult {
  return {
    environment,
    runner: 'sql',
    region: null,
    namespace: null,
    sql: {
      database: db.target,
      source: db.source,
      historyTable: HISTORY_TABLE,
      databaseVersion: plan.databaseVersion,
      history: [...plan.applied].reverse().slice(0, limit).map(rowJson),
      pending: plan.pending.map(fileJson),
      drifted: plan.drifted,
    },
    jobs: [],
  }
}

export function sqlRunJson(environment: string, db: DatabaseConnection, run: SqlRunResult): MigrateRunResult {
  return {
    environment,
    runner: 'sql',
    job: null,
    sql: {
      database: db.target,
      source: db.source,
      historyTable: HISTORY_TABLE,
      databaseVersionBefore: run.plan.databaseVersion,
      databaseVersion: run.databaseVersion,
      targetVersion: run.plan.targetVersion,
      applied: run.applied.map((a) => ({ version: a.version, name: a.name, file: a.file, checksum: a.md5, durationMs: a.durationMs })),
      failed: run.failed,
      lockWaitMs: run.lockWaitMs,
    },
  }
}

/** The engine's error with the --json result attached: the failure envelope reports both. */
export const withResult = (error: MktError, result: MigratePlanResult | MigrateRunResult): MktError => new MktError(error.code, error.exitCode, error.message, { hints: error.hints, result })

export function jobRunJson(run: JobRunResult): MigrateRunResult {
  const { environment, error: _error, ...job } = run
  return { environment, runner: 'job', job, sql: null }
}

/** The plan as people read it: one line per pending file, then what is wrong. */
export function planLines(db: DatabaseConnection, plan: SqlPlan): string[] {
  const head = `${describeTarget(db.target)}: at version ${plan.databaseVersion}, target ${plan.targetVersion}`
  if (plan.pending.length === 0) return [head, 'Nothing to apply.']
  return [head, `${plan.pending.length} pending:`, ...plan.pending.map((f) => `  ${f.file}`)]
}

export function sqlRunLines(db: DatabaseConnection, run: SqlRunResult): string[] {
  if (run.applied.length === 0 && !run.failed) return [`${describeTarget(db.target)}: already at version ${run.databaseVersion}; nothing to apply.`]
  return [`${describeTarget(db.target)}: version ${run.plan.databaseVersion} → ${run.databaseVersion}, applied ${run.applied.length} file(s)${run.applied.length > 0 ? `: ${run.applied.map((a) => a.file).join(', ')}` : ''}`]
}
