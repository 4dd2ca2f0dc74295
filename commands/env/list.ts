import { MktCommand } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { summarizeEnvironment } from '../../src/platform/environments.js'

export default class EnvList extends MktCommand<typeof EnvList> {
  static override summary = 'List the environments mkt can operate.'
  static override examples = ['<%= config.bin %> env list', '<%= config.bin %> env list --json']

  async run(): Promise<ResultOf<'env list'>> {
    const { platform, source } = await this.platform()
    const environments = platform.environments.map((env) => summarizeEnvironment(platform, env))
    this.out.result(
      renderTable(environments, [
        { header: 'name', get: (e) => (e.default ? `${e.name} (default)` : e.name) },
        { header: 'protected', get: (e) => (e.protected ? 'yes' : 'no') },
        { header: 'regions', get: (e) => e.regions.map((r) => (r.primary && e.regions.length > 1 ? `${r.name}*` : r.name)).join(',') },
        { header: 'cluster', get: (e) => e.regions.map((r) => r.clusterDescription).join('; ') },
      ]),
    )
    return { source, environments }
  }
}
