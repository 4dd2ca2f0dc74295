import { MktCommand } from '../../../src/cli/mkt-command.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { sandboxRegionArgs, setSandboxRegionApi } from '../../../src/cli/sandbox-region-api.js'

export default class RegionDown extends MktCommand<typeof RegionDown> {
  static override summary = "Take a regional cluster's API down: connections are refused, like a dead API server."
  static override description = 'Its pods keep running (a control plane outage), its objects are kept; `mkt sandbox region up` brings the API back on the same port.'
  static override args = sandboxRegionArgs
  static override examples = ['<%= config.bin %> sandbox region down northeurope']

  async run(): Promise<ResultOf<'sandbox region down'>> {
    const { platform } = await this.platform()
    const { region, line } = await setSandboxRegionApi(platform, this.args.region, false)
    this.out.result(line)
    return { region }
  }
}
