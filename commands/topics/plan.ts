import { Flags } from '@oclif/core'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { topologyFileFlag } from '../../src/cli/topology-flags.js'
import { describeChange, hasTopologyChanges, summarizeChanges } from '../../src/topology/plan.js'
import { openTopology, planFor, topologyPath } from '../../src/topology/service.js'

export default class TopicsPlan extends MktCommand<typeof TopicsPlan> {
  static override summary = 'Diff topology.yaml against the Service Bus namespace: creates, updates field by field, deletions.'
  static override description = 'Entities in the namespace but not in the file are reported as deletions; they are only planned as changes with --prune.'
  static override flags = {
    env: envFlag,
    file: topologyFileFlag,
    prune: Flags.boolean({ summary: 'Count entities missing from the file as changes (deletions).', default: false, env: 'MKT_PRUNE' }),
    'exit-code': Flags.boolean({ summary: 'Exit 2 when there are changes, 0 when none.', default: false, env: 'MKT_EXIT_CODE' }),
  }
  static override examples = ['<%= config.bin %> topics plan --env staging', '<%= config.bin %> topics plan --env prod --exit-code --json']

  async run() {
    const { platform, source } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const context = await openTopology(platform, environment, topologyPath(this.flags.file, source))
    const plan = await planFor(context, environment.name, this.flags.prune)
    const lines = plan.changes.map(describeChange)
    this.out.result(lines.length === 0 ? `No changes: ${context.namespace} matches ${context.file}.` : lines.join('\n'))
    if (plan.unmanaged.length > 0) this.out.result(`\nNot in the file (deleted only with --prune --allow-deletes):\n${plan.unmanaged.map(describeChange).join('\n')}`)
    if (lines.length > 0 || plan.unmanaged.length > 0) {
      this.out.result(`\nPlan: ${summarizeChanges(plan.changes)}${plan.unmanaged.length > 0 ? `; ${plan.unmanaged.length} not in the file (kept)` : ''}.`)
    }
    if (this.flags['exit-code'] && hasTopologyChanges(plan)) process.exitCode = 2
    const strip = (c: (typeof plan.changes)[number]) => ({ action: c.action, kind: c.kind, key: c.key, fields: c.fields })
    return { environment: environment.name, namespace: context.namespace, file: context.file, changes: plan.changes.map(strip), unmanaged: plan.unmanaged.map(strip) }
  }
}
