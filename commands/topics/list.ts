import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { topologyFileFlag } from '../../src/cli/topology-flags.js'
import { listEntities, openTopology, topologyPath } from '../../src/topology/service.js'

export default class TopicsList extends MktCommand<typeof TopicsList> {
  static override summary = 'Queues, topics and subscriptions with their key settings and message counts.'
  static override flags = { env: envFlag, file: topologyFileFlag }
  static override examples = ['<%= config.bin %> topics list --env prod', '<%= config.bin %> topics list --json']

  async run() {
    const { platform, source } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const context = await openTopology(platform, environment, topologyPath(this.flags.file, source))
    const entities = await listEntities(context)
    this.out.result(
      renderTable(entities, [
        { header: 'kind', get: (e) => e.kind },
        { header: 'name', get: (e) => e.name },
        { header: 'active', get: (e) => String(e.counts?.active ?? '-') },
        { header: 'dead-letter', get: (e) => String(e.counts?.deadLetter ?? '-') },
        { header: 'scheduled', get: (e) => String(e.counts?.scheduled ?? '-') },
        { header: 'settings', get: (e) => ['maxDeliveryCount', 'forwardTo', 'requiresSession'].filter((k) => e.settings[k] !== undefined && e.settings[k] !== false).map((k) => `${k}=${e.settings[k]}`).join(' ') },
      ]),
    )
    return { environment: environment.name, namespace: context.namespace, entities }
  }
}
