import { Flags } from '@oclif/core'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { releaseFileFlag, releaseGates } from '../../src/cli/release-flags.js'
import { releaseInputs } from '../../src/release/context.js'
import { describeReleasePlan, prepareRelease, type ReleasePlan } from '../../src/release/plan.js'

export default class ReleasePlanCommand extends MktCommand<typeof ReleasePlanCommand> {
  static override summary = 'Show every step of a release, per region, and what changes; changes nothing.'
  static override description = `Reads release.yaml and what runs now: pending migrations (forward-only), the configuration diff and the
secrets it references (present or missing, never their values), per component the current and target image,
its strategy and bake, the dependsOn waves region by region, the gates, and any GitOps reconciler that owns a
Deployment (a direct change would be reverted). --exit-code: exit 2 when the release would change something.`
  static override flags = {
    file: releaseFileFlag,
    env: envFlag,
    'exit-code': Flags.boolean({ summary: 'Exit 2 when the release would change something, 0 when nothing.', env: 'MKT_EXIT_CODE', default: false }),
  }
  static override examples = ['<%= config.bin %> release plan -f release.yaml --env staging', '<%= config.bin %> release plan -f release.yaml --env prod --exit-code --json']

  async run(): Promise<ReleasePlan> {
    const { flags } = this
    const loaded = await this.platform()
    const inputs = await releaseInputs(loaded, flags.file, (name) => this.environment(name), flags.env)
    const { plan } = await prepareRelease({ platform: loaded.platform, ...inputs, values: new Map() })
    this.out.result(describeReleasePlan(plan, releaseGates(loaded.platform, undefined, inputs.regions)).join('\n'))
    if (flags['exit-code'] && plan.changed) process.exitCode = 2
    return plan
  }
}
