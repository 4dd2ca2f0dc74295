import { Flags } from '@oclif/core'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { releaseHomeConnection } from '../../src/release/plan.js'
import { RecordStore } from '../../src/release/record.js'

export default class ReleaseHistory extends MktCommand<typeof ReleaseHistory> {
  static override summary = 'List the releases of an environment, newest first.'
  static override flags = { env: envFlag, limit: Flags.integer({ summary: 'Show at most this many.', default: 20, min: 1, env: 'MKT_LIMIT' }) }
  static override examples = ['<%= config.bin %> release history --env prod', '<%= config.bin %> release history --env prod --json']

  async run() {
    const { platform } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const store = await RecordStore.open(await releaseHomeConnection(platform, environment))
    const releases = (await store.list()).slice(0, this.flags.limit).map((r) => ({
      id: r.id,
      name: r.name,
      version: r.version,
      status: r.status,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
      startedBy: r.startedBy,
      reason: r.reason,
      gitSha: r.gitSha,
      exitCode: r.exitCode,
      attempts: r.attempts,
    }))
    if (releases.length === 0) this.out.result(`no release recorded in ${environment.name} yet`)
    else
      this.out.result(renderTable(releases, [
        { header: 'id', get: (r) => r.id },
        { header: 'release', get: (r) => `${r.name} ${r.version}` },
        { header: 'status', get: (r) => r.status },
        { header: 'started', get: (r) => r.startedAt },
        { header: 'by', get: (r) => r.startedBy },
        { header: 'reason', get: (r) => r.reason ?? '-' },
      ]))
    return { environment: environment.name, releases }
  }
}
