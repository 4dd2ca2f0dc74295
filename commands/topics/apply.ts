import { Flags } from '@oclif/core'
import { envFlag, MktCommand, yesFlag } from '../../src/cli/mkt-command.js'
import { topologyFileFlag } from '../../src/cli/topology-flags.js'
import { MktError, usageError } from '../../src/errors.js'
import { describeChange } from '../../src/topology/plan.js'
import { applyPlan, openTopology, planFor, topologyPath } from '../../src/topology/service.js'

export default class TopicsApply extends MktCommand<typeof TopicsApply> {
  static override summary = 'Make the Service Bus namespace match topology.yaml, idempotently.'
  static override description = `Applies the plan parents first (queues, topics, subscriptions, rules) with bounded concurrency; a second apply
writes nothing. A create that races another one re-reads and updates; throttling (429 with Retry-After) and 503 are
retried. Deletions need --prune and --allow-deletes. A failure part way reports what was applied and what was not;
a rerun finishes the job.`
  static override flags = {
    env: envFlag,
    file: topologyFileFlag,
    prune: Flags.boolean({ summary: 'Also delete entities that are not in the file (needs --allow-deletes).', default: false, env: 'MKT_PRUNE' }),
    'allow-deletes': Flags.boolean({ summary: 'Consent to deletions planned by --prune.', default: false, env: 'MKT_ALLOW_DELETES' }),
    concurrency: Flags.integer({ summary: 'Writes in flight at once.', default: 8, min: 1, max: 64, env: 'MKT_CONCURRENCY' }),
    yes: yesFlag,
  }
  static override examples = ['<%= config.bin %> topics apply --env staging', '<%= config.bin %> topics apply --env prod --prune --allow-deletes --yes --json']

  async run() {
    if (this.flags.prune && !this.flags['allow-deletes']) {
      throw usageError('--prune deletes entities: pass --allow-deletes too', { hints: ['Run `mkt topics plan --prune` first to see what would be deleted.'] })
    }
    const { platform, source } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const context = await openTopology(platform, environment, topologyPath(this.flags.file, source))
    const plan = await planFor(context, environment.name, this.flags.prune)
    const strip = (c: (typeof plan.changes)[number]) => ({ action: c.action, kind: c.kind, key: c.key, fields: c.fields })
    const base = { environment: environment.name, namespace: context.namespace, file: context.file, unmanaged: plan.unmanaged.map(strip) }
    if (plan.changes.length === 0) {
      this.out.result(`No changes: ${context.namespace} matches ${context.file}.`)
      return { ...base, applied: [], failed: [], skipped: [] }
    }
    for (const change of plan.changes) this.out.info(`plan: ${describeChange(change)}`)
    await this.confirmChange(environment, `apply ${plan.changes.length} Service Bus change${plan.changes.length === 1 ? '' : 's'}`, this.flags.yes)
    const outcomes = await applyPlan(context, plan, this.flags.concurrency, (o) => this.out.info(`${o.status}: ${describeChange(o)}${o.error ? ` (${o.error})` : ''}`))
    const applied = outcomes.filter((o) => o.status === 'applied').map(strip)
    const failed = outcomes.filter((o) => o.status === 'failed').map((o) => ({ ...strip(o), error: o.error ?? '' }))
    const skipped = outcomes.filter((o) => o.status === 'skipped').map((o) => ({ ...strip(o), error: o.error ?? '' }))
    const result = { ...base, applied, failed, skipped }
    this.out.result(`Applied ${applied.length} of ${plan.changes.length} change${plan.changes.length === 1 ? '' : 's'} to ${context.namespace}.`)
    if (failed.length > 0) {
      throw new MktError('FAILED', 1, `${failed.length} change${failed.length === 1 ? '' : 's'} failed (first: ${failed[0]!.kind} ${failed[0]!.key}: ${failed[0]!.error}); ${applied.length} applied, ${skipped.length} skipped`, {
        result,
        hints: ['Run `mkt topics apply` again: it re-reads the namespace and finishes what was not applied.'],
      })
    }
    return result
  }
}
