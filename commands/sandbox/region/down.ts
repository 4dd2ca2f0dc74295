import { Args } from '@oclif/core'
import { MktCommand } from '../../../src/cli/mkt-command.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { setSandboxRegionUp } from '../../../src/kube/sandbox-regions.js'

export default class RegionDown extends MktCommand<typeof RegionDown> {
  static override summary = "Take a regional cluster's API down: connections are refused, like a dead API server."
  static override description = 'Its pods keep running (a control plane outage), its objects are kept; `mkt sandbox region up` brings the API back on the same port.'
  static override args = { region: Args.string({ description: 'Region (a regional cluster, e.g. northeurope)', required: true }) }
  static override examples = ['<%= config.bin %> sandbox region down northeurope']

  async run(): Promise<ResultOf<'sandbox region down'>> {
    const { platform } = await this.platform()
    const region = await setSandboxRegionUp(platform, this.args.region, false)
    this.out.result(`Region ${region.region}: API down (${region.endpoint} refuses connections). Undo: mkt sandbox region up ${region.region}`)
    return { region }
  }
}
