import { Flags } from '@oclif/core'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { formatDuration } from '../../src/duration.js'
import { migrationStatus } from '../../src/migrate/job-runner.js'
import type { MigrateStatusResult } from '../../src/migrate/result-schemas.js'

export default class MigrateStatus extends MktCommand<typeof MigrateStatus> {
  static override summary = 'Migration Jobs of an environment, newest first: image, started, duration, result, who.'
  static override description = "Lists the Jobs `mkt migrate run --image` created in the environment's primary region (label mkt.dev/migration=true)."
  static override flags = {
    env: envFlag,
    limit: Flags.integer({ summary: 'How many to show.', default: 20, min: 1, env: 'MKT_LIMIT' }),
  }
  static override examples = ['<%= config.bin %> migrate status --env prod', '<%= config.bin %> migrate status --json']

  async run(): Promise<MigrateStatusResult> {
    const { platform } = await this.platform()
    const environment = await this.environment(this.flags.env)
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
}
