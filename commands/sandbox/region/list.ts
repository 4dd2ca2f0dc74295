import { MktCommand } from '../../../src/cli/mkt-command.js'
import { renderTable } from '../../../src/cli/output.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { listSandboxRegions } from '../../../src/kube/sandbox-regions.js'

export default class RegionList extends MktCommand<typeof RegionList> {
  static override summary = "The sandbox's regional clusters (started on first use by a multi-region environment such as local-multi)."
  static override examples = ['<%= config.bin %> sandbox region list', '<%= config.bin %> sandbox region list --json']

  async run(): Promise<ResultOf<'sandbox region list'>> {
    const { platform } = await this.platform()
    const regions = await listSandboxRegions(platform)
    this.out.result(
      regions.length === 0
        ? 'No regional clusters yet: they start on first use (e.g. mkt health --env local-multi).'
        : renderTable(regions, [
            { header: 'region', get: (r) => r.region },
            { header: 'api', get: (r) => (r.up ? 'up' : 'down') },
            { header: 'endpoint', get: (r) => r.endpoint },
            { header: 'kubeconfig', get: (r) => r.kubeconfigPath },
          ]),
    )
    return { regions }
  }
}
