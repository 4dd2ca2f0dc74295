import { Flags } from '@oclif/core'
import { timeoutFlag } from '../src/cli/duration-flag.js'
import { componentsFlag, envFlag, MktCommand, regionsFlag } from '../src/cli/mkt-command.js'
import { timestamp } from '../src/cli/progress.js'
import type { ResultOf } from '../src/cli/result-schemas.js'
import { parseDuration } from '../src/duration.js'
import { checkHealth, healthFailure, healthOptions, type HealthOptions } from '../src/health/probe.js'
import { renderHealthDetails, renderHealthTable } from '../src/health/render.js'
import type { HealthModel } from '../src/health/report.js'
import { waitForChange } from '../src/health/watch.js'

export default class HealthCommand extends MktCommand<typeof HealthCommand> {
  static override summary = 'Aggregated health of every component, per region: what is broken, where, and why.'
  static override description = `Combines Kubernetes state (replicas, rollout, pods and their reasons) with each service's /health/ready and
/health/live (through the API server's service proxy) and each worker's (through its pods), parsed as ASP.NET Core
HealthChecks JSON. All probes run at once with a per-probe timeout. Exit 0 when healthy, 82 when anything is
unhealthy (or degraded with --fail-on degraded), 69 when a region's cluster cannot be reached.`
  static override flags = {
    env: envFlag,
    component: componentsFlag,
    regions: regionsFlag,
    timeout: timeoutFlag({ summary: 'Per-probe timeout (default defaults.timeouts.probe, 5s).', env: 'MKT_TIMEOUT' }),
    concurrency: Flags.integer({ summary: 'Probes in flight at once.', default: 64, min: 1, env: 'MKT_CONCURRENCY' }),
    'fail-on': Flags.string({ summary: 'Exit 82 on unhealthy (default) or already on degraded.', options: ['unhealthy', 'degraded'], default: 'unhealthy', env: 'MKT_FAIL_ON' }),
    details: Flags.boolean({ char: 'd', summary: 'Show replicas, pods, probes and every health entry.', default: false, env: 'MKT_DETAILS' }),
    watch: Flags.boolean({ char: 'w', summary: 'Redraw on every change until Ctrl-C.', default: false, env: 'MKT_WATCH', exclusive: ['json'] }),
    interval: timeoutFlag({ summary: 'With --watch: re-probe at least this often.', default: parseDuration('5s'), env: 'MKT_INTERVAL' }),
  }
  static override examples = [
    '<%= config.bin %> health',
    '<%= config.bin %> health --env prod --fail-on degraded --json',
    '<%= config.bin %> health -c catalog -c search --details',
    '<%= config.bin %> health --watch',
  ]

  async run(): Promise<ResultOf<'health'>> {
    const { flags } = this
    const { platform } = await this.platform()
    const environment = await this.environment(flags.env)
    const options = healthOptions(platform, environment, flags)
    if (flags.watch) return this.watchLoop(options)
    const model = await checkHealth(options)
    this.print(model)
    this.failIfNeeded(model)
    // Degraded passes (exit 0) with a warning, as it passes the deploy gates.
    for (const component of model.components.filter((c) => c.health === 'Degraded')) {
      this.out.warn(`${component.name}: ${component.regions.find((r) => r.health === 'Degraded')?.explanation ?? component.backlog.find((b) => b.health === 'Degraded')?.summary ?? 'Degraded'}`)
    }
    return model
  }

  private print(model: HealthModel): void {
    this.out.result(renderHealthTable(model, this.out))
    if (this.flags.details) this.out.result(`\n${renderHealthDetails(model)}`)
  }

  private failIfNeeded(model: HealthModel): void {
    const failure = healthFailure(model, this.flags['fail-on'] as 'unhealthy' | 'degraded')
    if (failure) throw failure
  }

  /** Redraws on every change (Kubernetes watches, and a re-probe at least every --interval) until Ctrl-C. */
  private async watchLoop(options: HealthOptions): Promise<never> {
    const tty = process.stdout.isTTY === true
    let previous = ''
    this.onInterrupt(() => undefined)
    // Ctrl-C is how a watch ends: no "Error:" line for it.
    this.interruptEndsNormally = true
    for (;;) {
      const model = await checkHealth(options)
      const view = renderHealthTable(model, this.out) + (this.flags.details ? `\n\n${renderHealthDetails(model)}` : '')
      const comparable = view.replace(/ in \d+\.\ds$/m, '')
      if (comparable !== previous) {
        if (tty) process.stdout.write('\u001B[2J\u001B[H')
        else this.out.result(`--- ${timestamp()}`)
        this.out.result(view)
        previous = comparable
      }
      await waitForChange(options, this.flags.interval, this.abort.signal)
      if (this.abort.signal.aborted) return this.waitForInterruptExit()
    }
  }
}
