import { Args } from '@oclif/core'
import { MktCommand } from '../../src/cli/mkt-command.js'
import { renderKeyValues } from '../../src/cli/output.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { summarizeEnvironment } from '../../src/platform/environments.js'

export default class EnvShow extends MktCommand<typeof EnvShow> {
  static override summary = 'Show the resolved settings of one environment (never secrets).'
  static override args = { name: Args.string({ description: 'Environment name', required: true }) }
  static override examples = ['<%= config.bin %> env show prod', '<%= config.bin %> env show local --json']

  async run(): Promise<ResultOf<'env show'>> {
    const { platform, source } = await this.platform()
    const environment = summarizeEnvironment(platform, await this.environment(this.args.name))
    const entries: Array<[string, string]> = [
      ['name', environment.name],
      ['description', environment.description ?? '-'],
      ['protected', environment.protected ? 'yes (changes need --yes or typing the name)' : 'no'],
      ['cloud', environment.cloud],
      ...environment.regions.map((r): [string, string] => [`region ${r.name}`, `${r.clusterDescription}, namespace ${r.namespace}${r.primary ? ', primary' : ''}`]),
      ['service bus', environment.serviceBusNamespace ?? '-'],
      ['key vault', environment.keyVaultUrl ?? '-'],
      ['database', environment.database.engine ? `${environment.database.engine} from ${environment.database.source}` : environment.database.source],
      ['source', source],
    ]
    this.out.result(renderKeyValues(entries))
    return { source, environment }
  }
}
