// Spans for `mkt migrate run`: a span per SQL file (from the runner's "applying <file>" event to its
// measured duration) or one for the Job, and the migration event dashboards show as an annotation.
import type { AppliedFile, FailedFile } from '../migrate/sql-runner.js'
import type { SpanHandle } from './index.js'

export interface MigrationTrace {
  onEvent: (message: string) => void
  finishSql(environment: string, result: { applied: AppliedFile[]; failed: FailedFile | null; databaseVersion: number; error: { exitCode: number } | null }): void
  finishJob(environment: string, result: { image: string; name: string; result: string; reason: string; durationMs: number; error: { exitCode: number } | null }): void
}

export function traceMigration(root: SpanHandle, sink: (message: string) => void, now: () => number = Date.now): MigrationTrace {
  const startedAt = new Map<string, number>()
  const begun = now()
  return {
    onEvent(message) {
      const applying = /^applying (\S+)$/.exec(message)
      if (applying) startedAt.set(applying[1]!, now())
      sink(message)
    },
    finishSql(environment, result) {
      for (const file of result.applied) {
        const start = startedAt.get(file.file) ?? now() - file.durationMs
        root.child('migration file', { 'mkt.migration.file': file.file, 'mkt.migration.version': file.version, 'mkt.verdict': 'applied' }, start).end({ endTime: start + file.durationMs })
      }
      if (result.failed) {
        const start = startedAt.get(result.failed.file) ?? now()
        root.child('migration file', { 'mkt.migration.file': result.failed.file, 'mkt.migration.version': result.failed.version, 'mkt.verdict': 'failed' }, start).end({ error: result.failed.error })
      }
      const verdict = result.error ? 'failed' : 'applied'
      root.setAttributes({ 'mkt.verdict': verdict, 'mkt.migration.version': result.databaseVersion })
      root.addEvent('mkt.migration', { 'mkt.environment': environment, 'mkt.migration.files': result.applied.length, 'mkt.migration.version': result.databaseVersion, 'mkt.verdict': verdict, 'mkt.exit_code': result.error?.exitCode ?? 0 })
    },
    finishJob(environment, result) {
      root.child('migration job', { 'mkt.image': result.image, 'mkt.migration.job': result.name, 'mkt.verdict': result.result, 'mkt.reason': result.reason }, begun).end({ ...(result.error ? { error: result.reason } : {}) })
      root.setAttributes({ 'mkt.verdict': result.result, 'mkt.image': result.image })
      root.addEvent('mkt.migration', { 'mkt.environment': environment, 'mkt.image': result.image, 'mkt.verdict': result.result, 'mkt.exit_code': result.error?.exitCode ?? 0 })
    },
  }
}
