import { Args, Flags } from '@oclif/core'
import { timeoutFlag } from '../../src/cli/duration-flag.js'
import { envFlag, MktCommand, yesFlag } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { PipelineGroups, runnerOf, writeJobSummary } from '../../src/cli/pipeline.js'
import { createProgress, progressFlag, timestamp } from '../../src/cli/progress.js'
import { parseDuration } from '../../src/duration.js'
import { errorForExit } from '../../src/errors.js'
import { regionsFromFlag } from '../../src/kube/client.js'
import { lockIdentity } from '../../src/rollout/audit.js'
import { checkReleaseId } from '../../src/release/record.js'
import { rollbackReleaseById } from '../../src/release/run.js'
import { releaseSummaryMarkdown } from '../../src/release/summary.js'

export default class ReleaseRollback extends MktCommand<typeof ReleaseRollback> {
  static override summary = 'Return every component of a release to what ran before it, in reverse waves.'
  static override description = `Puts the release's ConfigMaps back first, then rolls each component it deployed back to the revision that ran
before it (\`mkt rollback --to-revision\` per region, with its lock and health wait), last wave first. Migrations are
forward-only and stay applied. Exit 0 when every component is back and healthy, 81 when one is not.`
  static override args = { id: Args.string({ description: 'Release id (`mkt release history` lists them)', required: true }) }
  static override flags = {
    env: envFlag,
    progress: progressFlag,
    timeout: timeoutFlag({ summary: 'Budget of each component rollback (default defaults.timeouts.rollback).', env: 'MKT_TIMEOUT' }),
    reason: Flags.string({ char: 'r', summary: 'Why: recorded on each rollback.', env: 'MKT_REASON' }),
    yes: yesFlag,
  }
  static override examples = ['<%= config.bin %> release rollback 20261202-121530-a1b2 --env prod --reason "PRJ-43 checkout errors" --yes']

  async run() {
    const { flags } = this
    const { platform } = await this.platform()
    const environment = await this.environment(flags.env)
    const id = checkReleaseId(this.args.id)
    await this.confirmChange(environment, `roll back release ${id}`, flags.yes)
    const regions = regionsFromFlag(environment, undefined)
    const progress = await createProgress(this.out, [], { multiRegion: regions.length > 1, mode: flags.progress })
    const groups = new PipelineGroups(runnerOf())
    const timeoutMs = flags.timeout ?? parseDuration(platform.defaults.timeouts.rollback)
    const result = await progress.run(() =>
      rollbackReleaseById({
        platform,
        environment,
        regions,
        id,
        ...(flags.reason ? { reason: flags.reason } : {}),
        identity: lockIdentity(),
        budgets: { timeoutMs, rollbackTimeoutMs: timeoutMs },
        onEvent: progress.onEvent,
        onStep: (message) => this.out.info(`${timestamp()} ${message}`),
        onPhase: (title) => groups.phase(title),
      }),
    )
    this.out.result(renderTable(result.items, [
      { header: 'region', get: (i) => i.region },
      { header: 'component', get: (i) => i.component },
      { header: 'revision', get: (i) => (i.toRevision === null ? '-' : String(i.toRevision)) },
      { header: 'outcome', get: (i) => i.outcome },
      { header: 'why', get: (i) => i.reason },
    ]))
    writeJobSummary(releaseSummaryMarkdown(result.record))
    const json = { record: result.record, items: result.items }
    if (result.exitCode !== 0) throw errorForExit(result.exitCode, `release ${id} was not fully rolled back: ${result.items.filter((i) => i.outcome !== 'rolled-back').map((i) => `${i.region}/${i.component}: ${i.reason}`).join('; ')}`, { result: json, hints: ['Page the on-call owner. `mkt history <component>` shows its revisions.'] })
    this.out.result(`release ${id}: every component is back on what ran before it (migrations stay applied: forward-only)`)
    return json
  }
}
