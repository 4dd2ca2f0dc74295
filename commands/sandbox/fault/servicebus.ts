import { Flags } from '@oclif/core'
import { MktCommand } from '../../../src/cli/mkt-command.js'
import { usageError } from '../../../src/errors.js'
import { ensureSandbox, sandboxControl } from '../../../src/kube/sandbox.js'

export default class FaultServiceBus extends MktCommand<typeof FaultServiceBus> {
  static override summary = "Set the sandbox Service Bus's message counts: a backlog or dead letters on a queue or subscription."
  static override description = 'Entities are `queue` or `topic/Subscriptions/subscription`. The counts show in `mkt topics list` and the runtime properties.'
  static override flags = {
    backlog: Flags.string({ summary: 'Active messages: ENTITY=N (repeatable).', multiple: true, env: 'MKT_BACKLOG', helpValue: 'ENTITY=N' }),
    'dead-letter': Flags.string({ summary: 'Dead-lettered messages: ENTITY=N (repeatable).', multiple: true, env: 'MKT_DEAD_LETTER', helpValue: 'ENTITY=N' }),
    scheduled: Flags.string({ summary: 'Scheduled messages: ENTITY=N (repeatable).', multiple: true, env: 'MKT_SCHEDULED', helpValue: 'ENTITY=N' }),
  }
  static override examples = ['<%= config.bin %> sandbox fault servicebus --backlog installation-worker=1200 --dead-letter installation-worker=3']

  async run() {
    const { platform } = await this.platform()
    const counts = new Map<string, Record<string, number>>()
    const add = (specs: string[] | undefined, field: string) => {
      for (const spec of specs ?? []) {
        const match = /^(.+)=(\d+)$/.exec(spec)
        if (!match) throw usageError(`expected ENTITY=N, got "${spec}"`)
        counts.set(match[1]!, { ...counts.get(match[1]!), [field]: Number(match[2]) })
      }
    }
    add(this.flags.backlog, 'active')
    add(this.flags['dead-letter'], 'deadLetter')
    add(this.flags.scheduled, 'scheduled')
    if (counts.size === 0) throw usageError('nothing to set', { hints: ['Pass --backlog, --dead-letter or --scheduled ENTITY=N.'] })
    const state = await ensureSandbox(platform)
    const results = []
    for (const [entity, fields] of counts) {
      const response = await sandboxControl<{ message?: string; counts?: Record<string, number> }>(state, 'POST', '/_sandbox/servicebus/counts', { entity, ...fields })
      if (response.status === 404) throw usageError(`no Service Bus entity "${entity}" in the sandbox`, { hints: ['Run `mkt topics apply` first; subscriptions are `topic/Subscriptions/name`.'] })
      if (response.status >= 300) throw usageError(response.body.message ?? `the sandbox answered ${response.status}`)
      results.push({ entity, counts: response.body.counts ?? fields })
      this.out.result(`${entity}: ${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(' ')}`)
    }
    return { entities: results }
  }
}
