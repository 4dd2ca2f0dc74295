import { MktCommand } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { summarizeComponents } from '../../src/platform/summary.js'

export default class ComponentsList extends MktCommand<typeof ComponentsList> {
  static override summary = 'List the services and workers of the platform.'
  static override description = 'Names are what Kubernetes sees (kebab-case); any alias or the PascalCase .NET name works wherever a command takes a component.'
  static override examples = ['<%= config.bin %> components list', '<%= config.bin %> components list --json']

  async run(): Promise<ResultOf<'components list'>> {
    const { platform, source } = await this.platform()
    const components = summarizeComponents(platform)
    this.out.result(
      renderTable(components, [
        { header: 'name', get: (c) => c.name },
        { header: 'kind', get: (c) => c.kind },
        { header: 'aliases', get: (c) => c.aliases.join(',') || '-' },
        { header: 'public', get: (c) => (c.public ? 'yes' : 'no') },
        { header: 'depends on', get: (c) => c.dependsOn.join(',') || '-' },
      ]),
    )
    return { platform: platform.platform.name, source, components }
  }
}
