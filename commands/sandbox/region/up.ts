import { Args } from '@oclif/core'
import { MktCommand } from '../../../src/cli/mkt-command.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { setSandboxRegionUp } from '../../../src/kube/sandbox-regions.js'

export default class RegionUp extends MktCommand<typeof RegionUp> {
  static override summary = "Bring a regional cluster's API back (on the port it had)."
  static override args = { region: Args.string({ description: 'Region (a regional cluster, e.g. northeurope)', required: true }) }
  static override examples = ['<%= config.bin %> sandbox region up northeurope']

  async run(): Promise<ResultOf<'sandbox region up'>> {
    const { platform } = await this.platform()
    const region = await setSandboxRegionUp(platform, this.args.region, true)
    this.out.result(`Region ${region.region}: API up at ${region.endpoint}.`)
    return { region }
  }
}
