import { Flags } from '@oclif/core'
import { durationFlag } from '../../../src/cli/duration-flag.js'
import { MktCommand } from '../../../src/cli/mkt-command.js'
import { regionSuffix, sandboxRegionFlag } from '../../../src/cli/sandbox-region-flag.js'
import type { ResultOf } from '../../../src/cli/result-schemas.js'
import { addFault } from '../../../src/sandbox-cli.js'

export default class FaultApi extends MktCommand<typeof FaultApi> {
  static override summary = "Make the sandbox's API slow or failing on matching paths."
  static override description = 'The path pattern is a glob over the request path (`/apis/apps/v1/*`), or a regular expression between slashes.'
  static override flags = {
    path: Flags.string({ summary: 'Requests whose path matches this pattern.', required: true, env: 'MKT_FAULT_PATH', helpValue: '<pattern>' }),
    latency: durationFlag({ summary: 'Delay each matching request by this long.', env: 'MKT_FAULT_LATENCY' }),
    status: Flags.string({ summary: 'Answer with this error status.', options: ['500', '503', '429'], env: 'MKT_FAULT_STATUS', exclusive: ['drop'] }),
    'error-rate': Flags.string({ summary: 'Share of matching requests that fail, 0 to 1 (default 1).', env: 'MKT_FAULT_ERROR_RATE', helpValue: '<0..1>' }),
    'retry-after': Flags.integer({ summary: 'Retry-After seconds on 429/503.', min: 0, env: 'MKT_FAULT_RETRY_AFTER' }),
    drop: Flags.boolean({ summary: 'Drop the connection instead of answering.', env: 'MKT_FAULT_DROP' }),
    region: sandboxRegionFlag,
  }
  static override examples = [
    "<%= config.bin %> sandbox fault api --path '/apis/apps/v1/*' --latency 2s",
    "<%= config.bin %> sandbox fault api --path '/api/v1/namespaces/*/pods' --status 429 --retry-after 1 --error-rate 0.5",
  ]

  async run(): Promise<ResultOf<'sandbox fault api'>> {
    const { platform } = await this.platform()
    const f = this.flags
    const errorRate = f['error-rate'] === undefined ? undefined : Number(f['error-rate'])
    if (errorRate !== undefined && !(errorRate >= 0 && errorRate <= 1)) {
      const { usageError } = await import('../../../src/errors.js')
      throw usageError(`--error-rate must be a number from 0 to 1, got "${f['error-rate']}"`)
    }
    const fault = await addFault(platform, {
      type: 'api',
      pathPattern: f.path,
      ...(f.latency !== undefined ? { latencyMs: f.latency } : {}),
      ...(f.status !== undefined ? { status: Number(f.status) } : {}),
      ...(errorRate !== undefined ? { errorRate } : {}),
      ...(f['retry-after'] !== undefined ? { retryAfterSeconds: f['retry-after'] } : {}),
      ...(f.drop ? { drop: true } : {}),
    }, f.region)
    this.out.result(`Fault ${fault.id} on ${f.path}. Undo: mkt sandbox fault clear ${fault.id}${regionSuffix(f.region)}`)
    return { fault }
  }
}
