import { MktCommand } from '../../src/cli/mkt-command.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { stopSandboxCommand } from '../../src/sandbox-cli.js'

export default class SandboxStop extends MktCommand<typeof SandboxStop> {
  static override summary = 'Stop the embedded sandbox. Its objects are kept for the next start.'
  static override examples = ['<%= config.bin %> sandbox stop']

  async run(): Promise<ResultOf<'sandbox stop'>> {
    const result = await stopSandboxCommand()
    this.out.result(result.stopped ? 'Stopped the sandbox.' : 'The sandbox was not running.')
    return result
  }
}
