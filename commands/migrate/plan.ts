import { Flags } from '@oclif/core'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { timestamp } from '../../src/cli/progress.js'
import type { MktError } from '../../src/errors.js'
import type { MigratePlanResult } from '../../src/migrate/result-schemas.js'
import { readSqlDir } from '../../src/migrate/sql-files.js'
import { assertNoDrift, planWarnings } from '../../src/migrate/sql-plan.js'
import { planSqlMigrations, resolveDatabase } from '../../src/migrate/sql-runner.js'
import { planJson, planLines, withResult } from '../../src/migrate/summary.js'
import { lockIdentity } from '../../src/rollout/audit.js'

export default class MigratePlan extends MktCommand<typeof MigratePlan> {
  static override summary = 'List the SQL migrations a run would apply, without writing anything.'
  static override description = `Reads the history table in a READ ONLY transaction and compares it with the files: pending files (up to --to),
applied ones, files changed after they were applied (exit 65, as a run would), files below the database version that
will never be applied, and applied versions without a file. --exit-code exits 2 when something is pending.`
  static override flags = {
    env: envFlag,
    sql: Flags.string({ summary: 'The directory of versioned SQL files (V001__name.sql …).', required: true, env: 'MKT_SQL', helpValue: '<dir>' }),
    to: Flags.integer({ summary: 'Plan up to this version (a file version).', min: 1, env: 'MKT_TO', helpValue: '<version>' }),
    'exit-code': Flags.boolean({ summary: 'Exit 2 when migrations are pending, 0 when none.', default: false, env: 'MKT_EXIT_CODE' }),
  }
  static override examples = ['<%= config.bin %> migrate plan --sql templates/migrations', 'MKT_DATABASE_URL=postgresql://… <%= config.bin %> migrate plan --env staging --sql db/migrations --exit-code --json']

  async run(): Promise<MigratePlanResult> {
    const { flags } = this
    const { platform } = await this.platform()
    const environment = await this.environment(flags.env)
    const files = await readSqlDir(flags.sql)
    const db = await resolveDatabase(platform, environment, { onWait: (message) => this.out.info(`${timestamp()} ${message}`) })
    const plan = await planSqlMigrations(db, files, flags.to, `mkt migrate plan ${lockIdentity()}`)
    const json = planJson(environment.name, db, plan)
    try {
      assertNoDrift(plan)
    } catch (error) {
      throw withResult(error as MktError, json)
    }
    for (const warning of planWarnings(plan)) this.out.warn(warning)
    for (const line of planLines(db, plan)) this.out.result(line)
    if (flags['exit-code'] && plan.pending.length > 0) process.exitCode = 2
    return json
  }
}
