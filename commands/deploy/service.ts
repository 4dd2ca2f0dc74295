import { Args, Flags } from '@oclif/core'
import { durationFlag, timeoutFlag } from '../../src/cli/duration-flag.js'
import { envFlag, MktCommand, regionsFlag, yesFlag } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { createProgress, progressFlag } from '../../src/cli/progress.js'
import { provenanceFlags } from '../../src/cli/provenance-flags.js'
import type { ResultOf } from '../../src/cli/result-schemas.js'
import { errorForExit, usageError } from '../../src/errors.js'
import { formatDuration, parseDuration } from '../../src/duration.js'
import { regionsFromFlag } from '../../src/kube/client.js'
import { dependencyWaves, resolveComponents } from '../../src/platform/components.js'
import { lockIdentity, provenance, whoAmI } from '../../src/rollout/audit.js'
import { assertNotLocked, describePlanEntry, executeDeploy, prepareDeploy, type DeployResult } from '../../src/rollout/deploy.js'
import { assertNoGitopsOwner, gitopsOwners } from '../../src/rollout/gitops.js'
import { checkImageInput } from '../../src/rollout/image.js'
import { hasChanges, parseCanarySteps } from '../../src/rollout/plan.js'
import { summarizeDeploy, summarizePlan } from '../../src/rollout/summary.js'
import { traceRollout, type RolloutTrace } from '../../src/telemetry/rollout.js'

/** What each step must pass and how long it may take: what --plan promises besides the images. */
function describeGates(budgets: { bake: number; rollout: number; rollback: number }, autoRollback: boolean, canarySteps: number[] | undefined, containerApps = false): string {
  const gates = containerApps
    ? [
        '  progress   the new revision provisioned and running (a provisioning failure fails it), before it gets any traffic',
        '  pods       no CrashLoopBackOff, image pull back-off or restart burst in its replicas',
        "  readiness  every replica ready (the revision's readiness probes) and /health/ready through the revision's FQDN; a replica still not ready past its probe budget + --ready-grace fails it",
      ]
    : [
        "  progress   the Deployment's own progress deadline (ProgressDeadlineExceeded fails it)",
        '  pods       no CrashLoopBackOff, image pull error, OOMKilled or restart burst in new pods',
        "  readiness  /health/ready of every new pod, through the API server; a pod still not ready past its readinessProbe budget + --ready-grace fails it",
      ]
  return [
    `Gates, checked ${canarySteps ? `at each ${containerApps ? 'traffic' : 'canary'} step (${canarySteps.join('%, ')}%) and at 100%` : 'until the rollout completes'}:`,
    ...gates,
    `  bake       all of the above held for ${formatDuration(budgets.bake)} without a break`,
    `Budgets: ${formatDuration(budgets.rollout)} per component rollout (a progress deadline: that long without progress fails it; at most 3 × that overall); ${autoRollback ? `a failed gate rolls back automatically, within ${formatDuration(budgets.rollback)}` : 'no automatic rollback (--no-auto-rollback)'}.`,
  ].join('\n')
}

export default class DeployService extends MktCommand<typeof DeployService> {
  static override summary = 'Roll services or workers out to a new image, gated on health, with automatic rollback.'
  static override description = `Plans first (current and target image per region), takes a lock per component, then rolls each component out
region by region (primary first) in dependsOn order, independent components in parallel. Gates: the Deployment's
progress (ProgressDeadlineExceeded), pod signals (CrashLoopBackOff, image pull errors, OOMKilled, restart bursts)
caught as they happen, and /health/ready of every new pod through the API server for the bake time; a pod that is
not Ready after its readinessProbe budget + --ready-grace fails with its own health answer. --timeout is a progress
deadline (no progress for that long fails), --max-duration caps the whole rollout. A failed gate
rolls the component back to the revision that was serving (exit 80; 81 if the rollback is unhealthy too).
Ctrl-C rolls back what this call changed (or leaves it paused with --on-interrupt=pause) and exits 130.
--image takes a full reference or a bare tag/@digest applied to each component's current repository.`
  static override strict = false
  static override args = { component: Args.string({ description: 'Components to deploy (names, aliases or .NET names); several allowed', required: true }) }
  static override flags = {
    env: envFlag,
    image: Flags.string({ char: 'i', summary: 'Image reference, or a bare tag (2.0.0) / @sha256:digest for the current repository.', required: true, env: 'MKT_IMAGE', helpValue: '<ref|tag>' }),
    plan: Flags.boolean({ summary: 'Print the plan and exit without changing anything.', env: 'MKT_PLAN', default: false }),
    'exit-code': Flags.boolean({ summary: 'With --plan: exit 2 when something would change, 0 when nothing.', env: 'MKT_EXIT_CODE', default: false }),
    strategy: Flags.string({ summary: 'rolling (the Deployment rolling update) or canary (replica-count steps).', options: ['rolling', 'canary'], default: 'rolling', env: 'MKT_STRATEGY' }),
    steps: Flags.string({ summary: 'Canary weights in percent, ascending (100 is added when missing).', default: '25,50,100', env: 'MKT_STEPS', helpValue: '<w,w,…>' }),
    progress: progressFlag,
    bake: durationFlag({ summary: 'How long every gate must hold before a step passes.', default: parseDuration('10s'), env: 'MKT_BAKE' }),
    timeout: timeoutFlag({ summary: 'Progress deadline of each component rollout: no progress for this long fails it (default defaults.timeouts.rollout, 10m).', env: 'MKT_TIMEOUT' }),
    'max-duration': timeoutFlag({ summary: 'Overall cap of each component rollout, however it progresses (default 3 × --timeout).', env: 'MKT_MAX_DURATION' }),
    'ready-grace': durationFlag({ summary: "How long a new pod may stay not Ready past its readinessProbe budget before its own /health/ready answer fails the release.", default: parseDuration('30s'), defaultHelp: async () => '30s', env: 'MKT_READY_GRACE' }),
    'rollback-timeout': timeoutFlag({ summary: 'Separate budget of an automatic rollback (default defaults.timeouts.rollback, 5m).', env: 'MKT_ROLLBACK_TIMEOUT' }),
    'auto-rollback': Flags.boolean({ summary: 'Roll back by itself when a gate fails (--no-auto-rollback leaves it for a human).', default: true, allowNo: true, env: 'MKT_AUTO_ROLLBACK' }),
    'on-interrupt': Flags.string({ summary: 'On Ctrl-C/SIGTERM: roll back, or pause the rollout.', options: ['rollback', 'pause'], default: 'rollback', env: 'MKT_ON_INTERRUPT' }),
    regions: regionsFlag,
    reason: Flags.string({ char: 'r', summary: 'Why: recorded in the release history and change-cause.', env: 'MKT_REASON' }),
    'allow-gitops-drift': Flags.boolean({ summary: 'Change Deployments a GitOps reconciler (Flux, Argo CD) owns anyway.', env: 'MKT_ALLOW_GITOPS_DRIFT', default: false }),
    ...provenanceFlags,
    yes: yesFlag,
  }
  static override examples = [
    '<%= config.bin %> deploy service catalog --image 2.0.0 --reason "PRJ-42 search facets"',
    '<%= config.bin %> deploy service catalog search --env prod --image 2.0.0 --yes --json',
    '<%= config.bin %> deploy service catalog --image myacr.azurecr.io/marketplace-catalog-service:2.0.0 --strategy canary --steps 25,50 --bake 2m',
    '<%= config.bin %> deploy service catalog --env staging --image 2.0.0 --plan --exit-code',
  ]

  async run(): Promise<ResultOf<'deploy service'>> {
    const { flags } = this
    const { platform } = await this.platform()
    const environment = await this.environment(flags.env)
    const components = resolveComponents(platform, this.positional)
    const imageProblem = checkImageInput(flags.image)
    if (imageProblem) throw usageError(`invalid image reference "${flags.image}": ${imageProblem}`, { hints: ['Pass a reference like registry/repo:tag, a bare tag like 2.0.0, or @sha256:<digest>.'] })
    const steps = flags.strategy === 'canary' ? parseCanarySteps(flags.steps) : undefined
    const regions = regionsFromFlag(environment, flags.regions)
    const componentWaves = dependencyWaves(components, platform.components).map((wave) => wave.map((c) => c.name))
    const base = {
      platform,
      environment,
      components,
      regions,
      componentWaves,
      image: flags.image,
      strategy: flags.strategy as 'rolling' | 'canary',
      ...(steps ? { canarySteps: steps } : {}),
      bakeMs: flags.bake,
    }

    this.telemetry.root.setAttributes({ 'mkt.image': flags.image, 'mkt.components': components.map((c) => c.name).join(','), 'mkt.strategy': base.strategy })
    const planSpan = this.telemetry.root.child('plan')
    const prepared = await prepareDeploy(base).finally(() => planSpan.end())
    const { plan } = prepared
    const planSummary = summarizePlan(plan)
    const multiRegion = regions.length > 1
    const owners = gitopsOwners(prepared)
    const ownerOf = (region: string, component: string) => owners.find((o) => o.region === region && o.component === component)
    const planLines = plan.regions.flatMap((r) =>
      r.components.map((e) => `${multiRegion ? `${r.region}/` : ''}${e.component}: ${describePlanEntry(e)}${ownerOf(r.region, e.component) ? ` [managed by ${ownerOf(r.region, e.component)!.owner}: a direct change would be reverted by the reconciler]` : ''}`),
    )
    const timeouts = platform.defaults.timeouts
    const budgets = {
      bake: flags.bake,
      rollout: flags.timeout ?? parseDuration(timeouts.rollout),
      rollback: flags['rollback-timeout'] ?? parseDuration(timeouts.rollback),
    }
    if (flags.plan) {
      this.out.result(planLines.join('\n'))
      if (hasChanges(plan)) this.out.result(`\n${describeGates(budgets, flags['auto-rollback'], steps, regions.every((r) => r.containerApps))}`)
      if (flags['exit-code'] && hasChanges(plan)) process.exitCode = 2
      return { environment: environment.name, image: flags.image, strategy: base.strategy, planOnly: true, changed: hasChanges(plan), plan: planSummary, items: [] }
    }
    for (const line of planLines) this.out.info(`plan: ${line}`)
    if (!hasChanges(plan) && plan.blockers.length === 0) {
      // Unchanged because another operation is rolling this very image out right now? Then say so (73).
      await assertNotLocked(prepared, environment.name)
      this.out.result('Nothing to deploy: every component already runs this image.')
      return { environment: environment.name, image: flags.image, strategy: base.strategy, planOnly: false, changed: false, plan: planSummary, items: [] }
    }
    if (!flags['allow-gitops-drift']) assertNoGitopsOwner(owners.filter((o) => plan.waves.flat().some((w) => w.region === o.region && w.component === o.component)), environment.name)
    await this.confirmChange(environment, `deploy ${flags.image}`, flags.yes)

    const items = plan.waves.flat().map((item) => ({ region: item.region, component: item.component, title: item.component }))
    const progress = await createProgress(this.out, items, { multiRegion, mode: flags.progress })
    const trace = traceRollout(this.telemetry.root, 'deploy', progress.onEvent)
    const work = progress.run(() =>
      executeDeploy(
        {
          ...base,
          timeoutMs: budgets.rollout,
          maxDurationMs: flags['max-duration'] ?? 3 * budgets.rollout,
          readyGraceMs: flags['ready-grace'],
          rollbackTimeoutMs: budgets.rollback,
          autoRollback: flags['auto-rollback'],
          onInterrupt: flags['on-interrupt'] as 'rollback' | 'pause',
          audit: {
            deployedBy: whoAmI(),
            deployedAt: Date.now(),
            ...(flags.reason ? { reason: flags.reason } : {}),
            ...provenance({ gitSha: flags['git-sha'], runUrl: flags['run-url'] }),
          },
          identity: lockIdentity(),
          switchSingleRevisionMode: flags.yes,
          signal: this.abort.signal,
          onEvent: (event) => {
            // A gate that passes with a warning (a Degraded /health/ready) is also a warning of the command (--json).
            if (event.kind === 'warning') this.out.warnings.push(`${event.region}/${event.component}: ${event.message}`)
            trace.onEvent(event)
          },
        },
        prepared,
      ),
    )
    const toJson = (result: DeployResult) => ({ environment: environment.name, image: flags.image, strategy: base.strategy, planOnly: false, changed: true, plan: planSummary, items: summarizeDeploy(result) })
    // Ctrl-C: the engine sees the abort, rolls back (or pauses) and releases its locks; wait for that.
    this.onInterrupt(async () => {
      const result = await work.catch(() => undefined)
      if (!result) return undefined
      this.recordTelemetry(result, trace)
      this.printOutcome(result)
      return toJson(result)
    })
    const result = await work
    if (this.abort.signal.aborted) return this.waitForInterruptExit()
    this.recordTelemetry(result, trace)
    const json = toJson(result)
    this.printOutcome(result)
    if (result.exitCode !== 0) throw errorForExit(result.exitCode, failureMessage(result), { result: json, hints: failureHints(result) })
    return json
  }

  /** Spans per component and gate with their verdicts, and the deploy event dashboards show as an annotation. */
  private recordTelemetry(result: DeployResult, trace: RolloutTrace): void {
    trace.finish(
      result.items.map((i) => ({
        region: i.region,
        component: i.component,
        attributes: { 'mkt.image': i.to, 'mkt.image.from': i.from, 'mkt.revision': i.toRevision, 'mkt.revision.from': i.fromRevision, 'mkt.verdict': i.outcome, 'mkt.reason': i.reason, 'mkt.rollback.revision': i.rollback?.toRevision },
        gates: i.gates,
        ...(i.outcome === 'deployed' || i.outcome === 'unchanged' ? {} : { error: i.reason }),
      })),
    )
    const verdict = result.exitCode === 0 ? 'deployed' : result.exitCode === 80 ? 'rolled-back' : 'failed'
    this.telemetry.root.setAttributes({ 'mkt.verdict': verdict })
    this.telemetry.root.addEvent('mkt.deploy', { 'mkt.environment': result.environment, 'mkt.image': result.image, 'mkt.components': [...new Set(result.items.map((i) => i.component))].join(','), 'mkt.verdict': verdict, 'mkt.exit_code': result.exitCode })
  }

  private printOutcome(result: DeployResult): void {
    this.out.result(
      renderTable(result.items, [
        { header: 'region', get: (i) => i.region },
        { header: 'component', get: (i) => i.component },
        { header: 'from', get: (i) => `${i.from ?? '-'}${i.fromRevision ? ` (r${i.fromRevision})` : ''}` },
        { header: 'to', get: (i) => `${i.to ?? '-'}${i.toRevision ? ` (r${i.toRevision})` : ''}` },
        { header: 'outcome', get: (i) => i.outcome, style: (i) => (i.outcome === 'deployed' || i.outcome === 'unchanged' ? 'green' : i.outcome === 'rolled-back' ? 'yellow' : 'red') },
        { header: 'why', get: (i) => (i.rollback ? `${i.reason}; rollback ${i.rollback.outcome}` : i.reason) },
      ], this.out),
    )
  }
}

function failureMessage(result: DeployResult): string {
  const first = result.failure || result.items.find((i) => i.outcome !== 'deployed' && i.outcome !== 'unchanged')?.reason || 'unknown failure'
  switch (result.exitCode) {
    case 80:
      return `deploy of ${result.image} failed and was rolled back: ${first}`
    case 81: {
      if (lostTheApi(result)) return `deploy of ${result.image} lost the Kubernetes API, so its state is unknown: ${stateLeft(result)}`
      const bad = result.items.find((i) => i.outcome === 'rollback-failed')
      return `deploy of ${result.image} failed and the rollback is not complete (page someone): ${first}${bad && bad.reason !== first ? `; ${bad.region}/${bad.component}: ${bad.rollback?.reason ?? bad.reason}` : ''}`
    }
    default:
      return `deploy of ${result.image} failed: ${first}`
  }
}

/** Every rollback that failed, failed because the API could not be reached (not because a revision is unhealthy). */
const unreachable = (reason: string) => /cannot reach the Kubernetes API|ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ETIMEDOUT|socket hang up/.test(reason)
const lostTheApi = (result: DeployResult) => {
  const failed = result.items.filter((i) => i.outcome === 'rollback-failed')
  return failed.length > 0 && failed.every((i) => unreachable(`${i.reason} ${i.rollback?.reason ?? ''}`))
}

/** What each component was left as when the API went away, for the operator who finishes the job. */
function stateLeft(result: DeployResult): string {
  return result.items
    .map((i) => {
      const where = `${i.region}/${i.component}`
      if (i.outcome === 'not-started') return `${where} not started (still ${i.from ?? 'as it was'})`
      if (i.outcome === 'deployed' || i.outcome === 'unchanged') return `${where} ${i.outcome} (${i.to})`
      if (i.outcome === 'rolled-back') return `${where} rolled back to ${i.from}`
      return `${where} patched to ${i.to}, not verified and not rolled back`
    })
    .join('; ')
}

function failureHints(result: DeployResult): string[] {
  if (result.exitCode === 81 && lostTheApi(result)) {
    const undo = [...new Set(result.items.filter((i) => i.outcome === 'rollback-failed' && i.undo).map((i) => i.undo!))]
    return [
      'When the API answers again, `mkt health` shows what runs; to finish the job, return each component to its previous revision:',
      ...(undo.length > 0 ? undo : ['mkt rollback <component> --reason "<why>"']),
      'Or deploy again: a rerun rolls whatever is not yet on the new image.',
    ]
  }
  if (result.exitCode === 81) return ['Page the on-call owner: the component is not healthy on either revision. `mkt history` shows the revisions; `mkt rollback --to-revision N` picks one.']
  if (result.exitCode === 80) return ['The previous revision is serving again. `mkt history <component>` shows the failed release and its verdict.']
  return ['The failed revision was left in place (--no-auto-rollback). `mkt rollback <component>` returns to the last good revision.']
}
