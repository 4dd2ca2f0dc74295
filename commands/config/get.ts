import { Args } from '@oclif/core'
import { configDirFlag } from '../../src/cli/config-flags.js'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { configRoot } from '../../src/config/files.js'
import { effectiveConfig } from '../../src/config/service.js'
import { resolveComponent } from '../../src/platform/components.js'

export default class ConfigGet extends MktCommand<typeof ConfigGet> {
  static override summary = "A component's effective configuration: every Options key, its value (secrets masked), and where it comes from."
  static override args = { component: Args.string({ description: 'Component (name, alias or .NET name)', required: true }) }
  static override flags = { env: envFlag, 'config-dir': configDirFlag }
  static override examples = ['<%= config.bin %> config get catalog --env prod', '<%= config.bin %> config get catalog --json']

  async run() {
    const { platform, source } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const component = resolveComponent(platform, this.args.component)
    const effective = await effectiveConfig({ platform, environment, root: configRoot(source, this.flags['config-dir']) }, component)
    this.out.result(
      effective.entries.length === 0
        ? `No configuration for ${component.name} in ${environment.name}.`
        : renderTable(effective.entries, [
            { header: 'key', get: (e) => e.key },
            { header: 'value', get: (e) => e.value },
            { header: 'from', get: (e) => e.source },
          ]),
    )
    return { environment: environment.name, component: component.name, ...effective }
  }
}
