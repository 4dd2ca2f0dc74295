import { Args } from '@oclif/core'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { usageError } from '../../src/errors.js'
import { releaseHomeConnection } from '../../src/release/plan.js'
import { checkReleaseId, RecordStore, type ReleaseRecord } from '../../src/release/record.js'

export default class ReleaseStatus extends MktCommand<typeof ReleaseStatus> {
  static override summary = 'Show a release record: each step and component, its outcome and timing (default: the latest).'
  static override description = `Reads the ConfigMap mkt-release-<id> in the primary region. A release whose status stays "running" while no
mkt holds the release lock (\`mkt lock status\`) was interrupted: \`mkt release run --resume <id>\` finishes it.`
  static override args = { id: Args.string({ description: 'Release id (default: the latest release of the environment)' }) }
  static override flags = { env: envFlag }
  static override examples = ['<%= config.bin %> release status --env staging', '<%= config.bin %> release status 20261202-121530-a1b2 --env prod --json']

  async run(): Promise<ReleaseRecord> {
    const { platform } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const store = await RecordStore.open(await releaseHomeConnection(platform, environment))
    const record = this.args.id ? await store.read(checkReleaseId(this.args.id)) : (await store.list())[0]
    if (!record) throw usageError(this.args.id ? `no release ${this.args.id} in ${environment.name}` : `no release recorded in ${environment.name} yet`, { hints: ['`mkt release history` lists the releases of an environment.'] })
    this.out.result(`release ${record.id}: ${record.name} ${record.version} to ${record.environment}: ${record.status}${record.exitCode === null ? '' : ` (exit ${record.exitCode})`}`)
    this.out.result(`started ${record.startedAt} by ${record.startedBy}${record.reason ? `: ${record.reason}` : ''}${record.attempts > 1 ? `; ${record.attempts} attempts` : ''}`)
    if (record.failure) this.out.result(`failure: ${record.failure}`)
    this.out.result(renderTable(record.steps, [
      { header: 'step', get: (s) => s.name },
      { header: 'status', get: (s) => s.status },
      { header: 'ms', get: (s) => (s.durationMs === null ? '-' : String(s.durationMs)) },
      { header: 'detail', get: (s) => s.detail },
    ]))
    if (record.items.length > 0) {
      this.out.result(renderTable(record.items, [
        { header: 'wave', get: (i) => String(i.wave) },
        { header: 'region', get: (i) => i.region },
        { header: 'component', get: (i) => i.component },
        { header: 'from', get: (i) => i.from ?? '-' },
        { header: 'to', get: (i) => i.to ?? '-' },
        { header: 'outcome', get: (i) => i.outcome },
      ]))
    }
    return record
  }
}
