import { MktCommand } from '../../src/cli/mkt-command.js'
import { renderSandboxStatus } from '../../src/cli/render-sandbox.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { startSandboxCommand } from '../../src/sandbox-cli.js'

export default class SandboxStart extends MktCommand<typeof SandboxStart> {
  static override summary = 'Start the embedded sandbox (the local environment) in the background.'
  static override description =
    'Idempotent: a running sandbox is reused. Any command against the local environment starts it too. Data lives in MKT_SANDBOX_DIR (default ~/.local/state/mkt/sandbox).'
  static override examples = ['<%= config.bin %> sandbox start', 'kubectl --kubeconfig "$(<%= config.bin %> sandbox status --json | jq -r .result.kubeconfig)" -n marketplace get deploy']

  async run(): Promise<ResultOf<'sandbox start'>> {
    const { platform } = await this.platform()
    const status = await startSandboxCommand(platform)
    this.out.info(status.alreadyRunning ? 'The sandbox was already running.' : 'Started the sandbox.')
    this.out.result(renderSandboxStatus(status))
    return status
  }
}
