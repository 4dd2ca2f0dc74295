import { MktCommand } from '../../../src/cli/mkt-command.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { sandboxRegionArgs, setSandboxRegionApi } from '../../../src/cli/sandbox-region-api.js'

export default class RegionUp extends MktCommand<typeof RegionUp> {
  static override summary = "Bring a regional cluster's API back (on the port it had)."
  static override args = sandboxRegionArgs
  static override examples = ['<%= config.bin %> sandbox region up northeurope']

  async run(): Promise<ResultOf<'sandbox region up'>> {
    const { platform } = await this.platform()
    const { region, line } = await setSandboxRegionApi(platform, this.args.region, true)
    this.out.result(line)
    return { region }
  }
}
