import { Flags } from '@oclif/core'
import { traceMigration, type MigrationTrace } from '../../src/telemetry/migration.js'
import { durationFlag, timeoutFlag } from '../../src/cli/duration-flag.js'
import { envFlag, MktCommand, yesFlag } from '../../src/cli/mkt-command.js'
import { timestamp } from '../../src/cli/progress.js'
import { provenanceFlags } from '../../src/cli/provenance-flags.js'
import { usageError } from '../../src/errors.js'
import { parseDuration } from '../../src/duration.js'
import { jobTemplatePath, runMigrationJob } from '../../src/migrate/job-runner.js'
import type { MigrateRunResult } from '../../src/migrate/result-schemas.js'
import type { DatabaseConnection } from '../../src/migrate/connection.js'
import { acquireMigrationLease } from '../../src/migrate/environment-lock.js'
import { readSqlDir, type MigrationFile } from '../../src/migrate/sql-files.js'
import { planWarnings } from '../../src/migrate/sql-plan.js'
import { resolveDatabase, runSqlMigrations } from '../../src/migrate/sql-runner.js'
import { jobRunJson, sqlRunJson, sqlRunLines, withResult } from '../../src/migrate/summary.js'
import type { LoadedPlatform } from '../../src/platform/load.js'
import type { Environment, Platform } from '../../src/platform/schema.js'
import { lockIdentity, provenance, whoAmI } from '../../src/rollout/audit.js'

export default class MigrateRun extends MktCommand<typeof MigrateRun> {
  static override summary = 'Run database migrations: the migrations image as a Kubernetes Job, or SQL files against PostgreSQL.'
  static override description = `--image runs the migrations image as a Job in the environment's primary region (from templates/migration-job.yaml,
or migration-job.yaml next to mkt.yaml, or --job-template), streams its log to stderr, and waits: exit 0 when it
succeeds, 1 when it fails (with the last log lines), 75 when it times out (the Job stops at the same deadline).
One migration per environment at a time: a second run exits 73 naming the holder.

--sql applies V001__description.sql … in the directory with postgrator, each file in its own transaction with its
history row (version, checksum, when, who), under a PostgreSQL advisory lock (another runner waits up to --lock-wait,
then exit 73). A file changed after it was applied: exit 65 naming it. The connection string comes from the
environment's database.url in mkt.yaml, or MKT_DATABASE_URL (never from an argument); unreachable: exit 69.`
  static override flags = {
    env: envFlag,
    image: Flags.string({ char: 'i', summary: 'Run this migrations image as a Kubernetes Job (a full reference, or a bare tag for the template image).', env: 'MKT_IMAGE', helpValue: '<ref|tag>' }),
    sql: Flags.string({ summary: 'Apply the versioned SQL files (V001__name.sql …) of this directory to PostgreSQL.', env: 'MKT_SQL', helpValue: '<dir>' }),
    to: Flags.integer({ summary: 'With --sql: stop at this version (a file version).', min: 1, env: 'MKT_TO', helpValue: '<version>' }),
    timeout: timeoutFlag({ summary: 'With --image: how long the Job may run (also its activeDeadlineSeconds).', default: parseDuration('15m'), env: 'MKT_TIMEOUT' }),
    'lock-wait': durationFlag({ summary: "With --sql: how long to wait for another run's lock before exit 73.", default: parseDuration('2m'), env: 'MKT_LOCK_WAIT' }),
    'job-template': Flags.string({ summary: 'With --image: the Job manifest to use (default: migration-job.yaml next to mkt.yaml, else the built-in one).', env: 'MKT_JOB_TEMPLATE', helpValue: '<file>' }),
    reason: Flags.string({ char: 'r', summary: 'Why: recorded on the Job (mkt migrate status shows it).', env: 'MKT_REASON' }),
    ...provenanceFlags,
    yes: yesFlag,
  }
  static override examples = [
    '<%= config.bin %> migrate run --env local --sql templates/migrations',
    'MKT_DATABASE_URL=postgresql://… <%= config.bin %> migrate run --env staging --sql db/migrations --to 12',
    '<%= config.bin %> migrate run --env prod --image myacr.azurecr.io/marketplace-migrations:2.0.0 --reason "PRJ-42" --yes --json',
  ]

  async run(): Promise<MigrateRunResult> {
    const { flags } = this
    if (flags.image !== undefined && flags.sql !== undefined) throw usageError('pass either --image (a Job) or --sql (SQL files), not both', { hints: ['Check MKT_IMAGE and MKT_SQL in the environment too.'] })
    if (flags.image === undefined && flags.sql === undefined) {
      throw usageError('nothing to run: pass --image <ref> to run the migrations image as a Kubernetes Job, or --sql <dir> to apply SQL files', { hints: ['mkt migrate run --help'] })
    }
    if (flags.image !== undefined && flags.to !== undefined) throw usageError('--to works with --sql only')
    if (flags.sql !== undefined && flags['job-template'] !== undefined) throw usageError('--job-template works with --image only')
    const loaded = await this.platform()
    const environment = await this.environment(flags.env)
    const trace = traceMigration(this.telemetry.root, (message: string) => this.out.info(`${timestamp()} ${message}`))
    return flags.sql !== undefined ? this.runSql(flags.sql, environment, loaded.platform, trace) : this.runJob(flags.image!, environment, loaded, trace)
  }

  private async runSql(dir: string, environment: Environment, platform: Platform, trace: MigrationTrace): Promise<MigrateRunResult> {
    const event = trace.onEvent
    const { flags } = this
    const files = await readSqlDir(dir)
    await this.confirmChange(environment, `apply migrations from ${dir}`, flags.yes)
    const db = await resolveDatabase(platform, environment, { onWait: event })
    const lease = db.sharedSession
      ? await acquireMigrationLease(platform, environment, { identity: lockIdentity(), operation: `migrate run --sql ${dir}`, waitMs: flags['lock-wait'], signal: this.abort.signal, onEvent: event })
      : undefined
    try {
      return await this.applySql(db, files, environment, trace)
    } finally {
      await lease?.release().catch(() => undefined)
    }
  }

  private async applySql(db: DatabaseConnection, files: MigrationFile[], environment: Environment, trace: MigrationTrace): Promise<MigrateRunResult> {
    const event = trace.onEvent
    const { flags } = this
    const work = runSqlMigrations({
      db,
      files,
      ...(flags.to === undefined ? {} : { to: flags.to }),
      runBy: whoAmI(),
      applicationName: `mkt migrate run ${lockIdentity()}`,
      lockWaitMs: flags['lock-wait'],
      signal: this.abort.signal,
      onEvent: event,
    })
    const result = await this.settle(work, (r) => sqlRunJson(environment.name, db, r))
    trace.finishSql(environment.name, result)
    for (const warning of planWarnings(result.plan)) this.out.warn(warning)
    const json = sqlRunJson(environment.name, db, result)
    if (result.error) throw withResult(result.error, json)
    for (const line of sqlRunLines(db, result)) this.out.result(line)
    return json
  }

  private async runJob(image: string, environment: Environment, loaded: LoadedPlatform, trace: MigrationTrace): Promise<MigrateRunResult> {
    const event = trace.onEvent
    const { flags } = this
    await this.confirmChange(environment, `run migrations ${image}`, flags.yes)
    const streamLogs = !this.out.options.json && !this.out.options.quiet
    const work = runMigrationJob({
      platform: loaded.platform,
      environment,
      image,
      templatePath: jobTemplatePath(flags['job-template'], loaded.source),
      timeoutMs: flags.timeout,
      ...(flags.reason ? { reason: flags.reason } : {}),
      audit: { runBy: whoAmI(), ...provenance({ gitSha: flags['git-sha'], runUrl: flags['run-url'] }) },
      identity: lockIdentity(),
      signal: this.abort.signal,
      ...(streamLogs ? { onLog: (line: string) => process.stderr.write(`${this.out.style('|', 'dim')} ${line}\n`) } : {}),
      onEvent: event,
    })
    const result = await this.settle(work, jobRunJson)
    trace.finishJob(environment.name, result)
    const json = jobRunJson(result)
    if (result.error) throw withResult(result.error, json)
    this.out.result(`migration Job ${result.namespace}/${result.name} (${result.image}) succeeded in ${Math.round(result.durationMs / 100) / 10} s`)
    return json
  }

  /** Waits for a run; on Ctrl-C the interrupt report carries what it did (and run() waits for that exit instead). */
  private async settle<R>(work: Promise<R>, toJson: (result: R) => MigrateRunResult): Promise<R> {
    this.onInterrupt(async () => {
      const result = await work.catch(() => undefined)
      return result ? toJson(result) : undefined
    })
    const result = await work
    if (this.abort.signal.aborted) return this.waitForInterruptExit()
    return result
  }
}
