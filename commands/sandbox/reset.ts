import { MktCommand } from '../../src/cli/mkt-command.js'
import { renderSandboxStatus } from '../../src/cli/render-sandbox.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { resetSandboxCommand } from '../../src/sandbox-cli.js'

export default class SandboxReset extends MktCommand<typeof SandboxReset> {
  static override summary = 'Wipe the sandbox (objects and faults) and start it again, freshly seeded.'
  static override description = 'Its CA, token and kubeconfig are kept, so kubeconfigs already in use keep working.'
  static override examples = ['<%= config.bin %> sandbox reset']

  async run(): Promise<ResultOf<'sandbox reset'>> {
    const { platform } = await this.platform()
    const status = await resetSandboxCommand(platform)
    this.out.info('Reset the sandbox: a healthy platform, freshly seeded.')
    this.out.result(renderSandboxStatus(status))
    return status
  }
}
