import { Args, Flags } from '@oclif/core'
import { timeoutFlag } from '../src/cli/duration-flag.js'
import { envFlag, MktCommand, regionsFlag, yesFlag } from '../src/cli/mkt-command.js'
import { renderTable } from '../src/cli/output.js'
import { traceRollout } from '../src/telemetry/rollout.js'
import { createProgress, progressFlag } from '../src/cli/progress.js'
import type { ResultOf } from '../src/cli/result-schemas.js'
import { ExitCode, MktError, usageError } from '../src/errors.js'
import { parseDuration } from '../src/duration.js'
import { regionsFromFlag } from '../src/kube/client.js'
import { resolveComponent } from '../src/platform/components.js'
import { lockIdentity } from '../src/rollout/audit.js'
import { describeMove, describeRollbackTarget, rollback } from '../src/rollout/rollback.js'

export default class Rollback extends MktCommand<typeof Rollback> {
  static override summary = 'Roll a component back to its last good revision (or --to-revision N), fast.'
  static override description = `The default target is the newest verified revision (verdict passed), never an aborted or external one.
Shows from -> to before acting; skips canary steps and bake, restores a canary's saved strategy and unpauses; waits
until the target is healthy unless --no-wait. Revision numbers are kubectl's (\`kubectl rollout history\`) and differ
per region: with several regions, --to-revision needs --regions. Without it, several regions go to the same image:
the first region's (the primary's) last good one, and in every other region its own newest verified revision of
that image, whatever its number there (each region's line says why; a region already running it is left alone).
The request is the one \`kubectl rollout undo\` sends.
--force-unlock breaks a stuck lock first and records who and why as an Event (MktLockBroken).`
  static override args = { component: Args.string({ description: 'Component (name, alias or .NET name)', required: true }) }
  static override flags = {
    env: envFlag,
    'to-revision': Flags.integer({ summary: 'Revision to return to (see `mkt history`).', min: 1, env: 'MKT_TO_REVISION' }),
    reason: Flags.string({ char: 'r', summary: 'Why (incident id): recorded on the rolled-back revision.', env: 'MKT_REASON' }),
    wait: Flags.boolean({ summary: 'Wait until the target revision is healthy (--no-wait returns after the change).', default: true, allowNo: true, env: 'MKT_WAIT' }),
    progress: progressFlag,
    timeout: timeoutFlag({ summary: 'How long to wait for health (default defaults.timeouts.rollback, 5m).', env: 'MKT_TIMEOUT' }),
    regions: regionsFlag,
    'force-unlock': Flags.boolean({ summary: 'Break a stuck lock first (needs --reason).', default: false, env: 'MKT_FORCE_UNLOCK' }),
    yes: yesFlag,
  }
  static override examples = [
    '<%= config.bin %> rollback catalog --env prod --yes --reason "INC-123"',
    '<%= config.bin %> rollback catalog --to-revision 7 --json',
  ]

  async run(): Promise<ResultOf<'rollback'>> {
    const { flags } = this
    if (flags['force-unlock'] && !flags.reason) throw usageError('--force-unlock needs --reason', { hints: ['Say why the lock is being broken: --reason "INC-123: deploy stuck"'] })
    const { platform } = await this.platform()
    const environment = await this.environment(flags.env)
    const component = resolveComponent(platform, this.args.component)
    const regions = regionsFromFlag(environment, flags.regions)
    const progress = await createProgress(this.out, regions.map((r) => ({ region: r.name, component: component.name, title: component.name })), { multiRegion: regions.length > 1, mode: flags.progress })
    this.telemetry.root.setAttributes({ 'mkt.component': component.name, 'mkt.reason': flags.reason })
    const trace = traceRollout(this.telemetry.root, 'rollback', progress.onEvent)
    const result = await progress.run(() =>
      rollback({
        platform,
        environment,
        component,
        regions,
        ...(flags['to-revision'] === undefined ? {} : { toRevision: flags['to-revision'] }),
        ...(flags.reason ? { reason: flags.reason } : {}),
        wait: flags.wait,
        timeoutMs: flags.timeout ?? parseDuration(platform.defaults.timeouts.rollback),
        identity: lockIdentity(),
        forceUnlock: flags['force-unlock'],
        onEvent: trace.onEvent,
        confirm: async (moves) => {
          for (const m of moves) this.out.info(describeMove(m, moves.length > 1))
          await this.confirmChange(environment, `roll back ${component.name}`, flags.yes)
        },
      }),
    )
    trace.finish(
      result.regions.map((r) => ({
        region: r.region,
        component: component.name,
        attributes: { 'mkt.image': r.toImage, 'mkt.image.from': r.fromImage, 'mkt.revision': r.toRevision, 'mkt.revision.from': r.fromRevision, 'mkt.verdict': r.outcome, 'mkt.reason': r.reason },
        ...(r.outcome === 'unhealthy' ? { error: r.reason } : {}),
      })),
    )
    const verdict = result.regions.some((r) => r.outcome === 'unhealthy') ? 'unhealthy' : 'rolled-back'
    this.telemetry.root.setAttributes({ 'mkt.verdict': verdict })
    this.telemetry.root.addEvent('mkt.rollback', { 'mkt.environment': environment.name, 'mkt.component': component.name, 'mkt.revision': result.regions[0]?.toRevision, 'mkt.verdict': verdict })
    this.out.result(
      renderTable(result.regions, [
        { header: 'region', get: (r) => r.region },
        { header: 'from', get: (r) => `${r.fromImage ?? '-'} (r${r.fromRevision ?? '-'})` },
        { header: 'to', get: describeRollbackTarget },
        { header: 'outcome', get: (r) => r.outcome },
        ...(result.regions.length > 1 ? [{ header: 'why', get: (r: (typeof result.regions)[number]) => r.why ?? '' }] : []),
      ]),
    )
    const bad = result.regions.find((r) => r.outcome === 'unhealthy')
    if (bad) {
      throw new MktError('ROLLBACK_FAILED', ExitCode.ROLLBACK_FAILED, `rolled back ${component.name} in ${bad.region}, but revision ${bad.toRevision} is not healthy: ${bad.reason}`, {
        result,
        hints: ['Page the on-call owner. `mkt history` lists other revisions to try with --to-revision.'],
      })
    }
    return result
  }
}
