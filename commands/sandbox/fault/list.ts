import { MktCommand } from '../../../src/cli/mkt-command.js'
import { sandboxRegionFlag } from '../../../src/cli/sandbox-region-flag.js'
import { renderTable } from '../../../src/cli/output.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { listFaults } from '../../../src/sandbox-cli.js'

export default class FaultList extends MktCommand<typeof FaultList> {
  static override summary = 'List the active sandbox faults.'
  static override flags = { region: sandboxRegionFlag }
  static override examples = ['<%= config.bin %> sandbox fault list --json', '<%= config.bin %> sandbox fault list --region northeurope']

  async run(): Promise<ResultOf<'sandbox fault list'>> {
    const { platform } = await this.platform()
    const faults = await listFaults(platform, this.flags.region)
    const describe = (f: Record<string, unknown>) =>
      Object.entries(f)
        .filter(([k]) => !['id', 'type', 'component', 'pathPattern', 'imageTag'].includes(k))
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')
    this.out.result(
      faults.length === 0
        ? 'No faults.'
        : renderTable(faults, [
            { header: 'id', get: (f) => f.id },
            { header: 'type', get: (f) => f.type },
            { header: 'target', get: (f) => String(f.component ?? f.pathPattern) + (f.imageTag ? `:${String(f.imageTag)}` : '') },
            { header: 'fault', get: (f) => describe(f) },
          ]),
    )
    return { faults }
  }
}
