import { Args } from '@oclif/core'
import { MktCommand } from '../../../src/cli/mkt-command.js'
import { sandboxRegionFlag } from '../../../src/cli/sandbox-region-flag.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { clearFaults } from '../../../src/sandbox-cli.js'
import { plural } from '../../../src/text.js'

export default class FaultClear extends MktCommand<typeof FaultClear> {
  static override summary = 'Clear one sandbox fault by id, or all of them.'
  static override args = { id: Args.string({ description: 'Fault id (from `mkt sandbox fault list`); all faults when omitted' }) }
  static override flags = { region: sandboxRegionFlag }
  static override examples = ['<%= config.bin %> sandbox fault clear', '<%= config.bin %> sandbox fault clear f-1a2b', '<%= config.bin %> sandbox fault clear --region northeurope']

  async run(): Promise<ResultOf<'sandbox fault clear'>> {
    const { platform } = await this.platform()
    const result = await clearFaults(platform, this.args.id, this.flags.region)
    this.out.result(`Cleared ${plural(result.deleted, 'fault')}.`)
    return result
  }
}
