import { Args } from '@oclif/core'
import { envFlag, MktCommand, regionsFlag } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { regionsFromFlag } from '../../src/kube/client.js'
import { resolveComponent } from '../../src/platform/components.js'
import { regionLocks } from '../../src/rollout/locks.js'

export default class LockStatus extends MktCommand<typeof LockStatus> {
  static override summary = 'Show who holds deploy locks (all components, or one).'
  static override args = { component: Args.string({ description: 'Component (name, alias or .NET name)' }) }
  static override flags = {
    env: envFlag,
    regions: regionsFlag,
  }
  static override examples = ['<%= config.bin %> lock status', '<%= config.bin %> lock status catalog --env prod --json']

  async run(): Promise<ResultOf<'lock status'>> {
    const { platform } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const component = this.args.component ? resolveComponent(platform, this.args.component) : undefined
    const regions = regionsFromFlag(environment, this.flags.regions)
    const locks = (
      await Promise.all(
        regions.map(async (region) => (await regionLocks(platform, environment, region, component)).map((l) => ({ region: region.name, ...l }))),
      )
    ).flat()
    this.out.result(
      locks.length === 0
        ? `No locks held in ${environment.name}.`
        : renderTable(locks, [
            { header: 'region', get: (l) => l.region },
            { header: 'component', get: (l) => l.component },
            { header: 'holder', get: (l) => l.holder ?? '-' },
            { header: 'operation', get: (l) => l.operation ?? '-' },
            { header: 'since', get: (l) => l.acquiredAt ?? '-' },
            { header: 'state', get: (l) => (l.expired ? 'expired (will be taken over)' : `held until ${l.expiresAt}`) },
          ]),
    )
    return { environment: environment.name, locks }
  }
}
