import { MktCommand } from '../../src/cli/mkt-command.js'
import { renderSandboxStatus } from '../../src/cli/render-sandbox.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { sandboxStatus } from '../../src/sandbox-cli.js'

export default class SandboxStatusCommand extends MktCommand<typeof SandboxStatusCommand> {
  static override summary = 'Show whether the sandbox runs, its ports, uptime, object counts and kubeconfig.'
  static override description = 'Exits 0 either way; `running` in --json says whether it answers.'
  static override examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --json']

  async run(): Promise<ResultOf<'sandbox status'>> {
    const status = await sandboxStatus()
    this.out.result(renderSandboxStatus(status))
    return status
  }
}
