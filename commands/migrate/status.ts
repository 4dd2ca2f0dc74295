import { Flags } from '@oclif/core'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { formatDuration } from '../../src/duration.js'
import { timestamp } from '../../src/cli/progress.js'
import { describeTarget } from '../../src/migrate/connection.js'
import { migrationStatus } from '../../src/migrate/job-runner.js'
import type { MigrateStatusResult } from '../../src/migrate/result-schemas.js'
import { readSqlDir } from '../../src/migrate/sql-files.js'
import { planSqlMigrations, resolveDatabase } from '../../src/migrate/sql-runner.js'
import { sqlStatusJson } from '../../src/migrate/summary.js'
import { lockIdentity } from '../../src/rollout/audit.js'
import type { Environment, Platform } from '../../src/platform/schema.js'

export default class MigrateStatus extends MktCommand<typeof MigrateStatus> {
  static override summary = 'Migrations of an environment, newest first: the Jobs (image, started, duration, result, who), or with --sql the applied versions (who, when).'
  static override description = `Without --sql: the Jobs \`mkt migrate run --image\` created in the environment's primary region (label mkt.dev/migration=true).
With --sql <dir>: the database's history table (what \`mkt migrate run --sql\` applied: version, file, when, who), read in a
READ ONLY transaction, and the files of <dir> still pending.`
  static override flags = {
    env: envFlag,
    sql: Flags.string({ summary: 'Show the SQL history of the environment\'s database, against this directory of V001__name.sql files.', env: 'MKT_SQL', helpValue: '<dir>' }),
    limit: Flags.integer({ summary: 'How many to show.', default: 20, min: 1, env: 'MKT_LIMIT' }),
  }
  static override examples = ['<%= config.bin %> migrate status --env prod', '<%= config.bin %> migrate status --json', '<%= config.bin %> migrate status --sql templates/migrations']

  async run(): Promise<MigrateStatusResult> {
    const { platform } = await this.platform()
    const environment = await this.environment(this.flags.env)
    if (this.flags.sql !== undefined) return this.sqlStatus(platform, environment, this.flags.sql)
    const status = await migrationStatus(platform, environment, this.flags.limit)
    if (status.jobs.length === 0) this.out.result(`No migration Jobs in ${status.environment} (${status.region}/${status.namespace}).`)
    else {
      this.out.result(
        renderTable(
          status.jobs,
          [
            { header: 'job', get: (j) => j.name },
            { header: 'image', get: (j) => j.image ?? '-' },
            { header: 'started', get: (j) => j.startedAt ?? '-' },
            { header: 'duration', get: (j) => (j.durationMs === null ? '-' : formatDuration(Math.round(j.durationMs / 100) * 100)) },
            { header: 'result', get: (j) => j.result, style: (j) => (j.result === 'succeeded' ? 'green' : j.result === 'running' || j.result === 'pending' ? 'yellow' : 'red') },
            { header: 'by', get: (j) => j.runBy ?? '-' },
            { header: 'reason', get: (j) => j.why ?? (j.result === 'succeeded' ? '-' : j.reason) },
          ],
          this.out,
        ),
      )
    }
    return status
  }

  private async sqlStatus(platform: Platform, environment: Environment, dir: string): Promise<MigrateStatusResult> {
    const files = await readSqlDir(dir)
    const db = await resolveDatabase(platform, environment, { onWait: (message) => this.out.info(`${timestamp()} ${message}`) })
    const plan = await planSqlMigrations(db, files, undefined, `mkt migrate status ${lockIdentity()}`)
    const status = sqlStatusJson(environment.name, db, plan, this.flags.limit)
    const sql = status.sql!
    for (const d of sql.drifted) this.out.warn(`${d.file} changed after it was applied: the next run fails (exit 65) until it is restored`)
    this.out.result(`${describeTarget(db.target)}: at version ${sql.databaseVersion}, ${sql.pending.length === 0 ? 'nothing pending' : `${sql.pending.length} pending (${sql.pending.map((f) => f.file).join(', ')})`}`)
    if (sql.history.length === 0) this.out.result('No migrations applied yet.')
    else {
      this.out.result(
        renderTable(
          sql.history,
          [
            { header: 'version', get: (r) => String(r.version) },
            { header: 'file', get: (r) => r.file ?? `${r.name ?? '?'} (no file)` },
            { header: 'applied', get: (r) => r.appliedAt ?? '-' },
            { header: 'by', get: (r) => r.appliedBy ?? '-' },
          ],
          this.out,
        ),
      )
    }
    return status
  }
}
