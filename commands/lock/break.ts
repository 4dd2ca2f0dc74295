import { Args, Flags } from '@oclif/core'
import { envFlag, MktCommand, regionsFlag, yesFlag } from '../../src/cli/mkt-command.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { regionsFromFlag } from '../../src/kube/client.js'
import { resolveComponent } from '../../src/platform/components.js'
import { whoAmI } from '../../src/rollout/audit.js'
import { breakRegionLock } from '../../src/rollout/locks.js'

export default class LockBreak extends MktCommand<typeof LockBreak> {
  static override summary = "Break a component's deploy lock (a stuck or abandoned operation)."
  static override description = `Who broke it, and why, is recorded as a Warning event on the Deployment (\`kubectl describe deployment\` shows it);
on Container Apps regions in the app's tag mkt-lock-broken (\`az containerapp show --query tags\`).`
  static override args = { component: Args.string({ description: 'Component (name, alias or .NET name)', required: true }) }
  static override flags = {
    env: envFlag,
    reason: Flags.string({ char: 'r', summary: 'Why the lock is broken (required).', required: true, env: 'MKT_REASON' }),
    regions: regionsFlag,
    yes: yesFlag,
  }
  static override examples = ['<%= config.bin %> lock break catalog --env prod --reason "INC-123: runner died mid-deploy" --yes']

  async run(): Promise<ResultOf<'lock break'>> {
    const { platform } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const component = resolveComponent(platform, this.args.component)
    const regions = regionsFromFlag(environment, this.flags.regions)
    await this.confirmChange(environment, `break the lock of ${component.name}`, this.flags.yes)
    const broken = await Promise.all(
      regions.map(async (region) => {
        const outcome = await breakRegionLock(platform, environment, region, component, { by: whoAmI(), reason: this.flags.reason })
        return { region: region.name, ...outcome }
      }),
    )
    for (const b of broken) this.out.result(b.broken ? `${b.region}: broke the lock held by ${b.holder ?? 'nobody'}` : `${b.region}: no lock to break`)
    return { environment: environment.name, component: component.name, brokenBy: whoAmI(), reason: this.flags.reason, regions: broken }
  }
}
