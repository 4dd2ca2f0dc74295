import { Flags } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { configDirFlag, secretValueFlags } from '../../src/cli/config-flags.js'
import { durationFlag, timeoutFlag } from '../../src/cli/duration-flag.js'
import { envFlag, MktCommand, yesFlag } from '../../src/cli/mkt-command.js'
import { renderTable } from '../../src/cli/output.js'
import { PipelineGroups, runnerOf, warningAnnotation, writeJobSummary } from '../../src/cli/pipeline.js'
import { createProgress, progressFlag, timestamp } from '../../src/cli/progress.js'
import { provenanceFlags } from '../../src/cli/provenance-flags.js'
import { releaseFileFlag, releaseGates } from '../../src/cli/release-flags.js'
import { readSecretValues } from '../../src/config/secrets.js'
import { parseDuration } from '../../src/duration.js'
import { errorForExit } from '../../src/errors.js'
import { lockIdentity, provenance, whoAmI } from '../../src/rollout/audit.js'
import { releaseInputs } from '../../src/release/context.js'
import { describeReleasePlan, prepareRelease, type ReleasePlan } from '../../src/release/plan.js'
import { checkReleaseId, type ReleaseRecord } from '../../src/release/record.js'
import { executeRelease, type RunOutcome } from '../../src/release/run.js'
import { releaseSummaryMarkdown } from '../../src/release/summary.js'

export default class ReleaseRun extends MktCommand<typeof ReleaseRun> {
  static override summary = 'Run a release: migrations, configuration and every component, gated, with one rollback.'
  static override description = `Plans first, and refuses before changing anything when a component is blocked, owned by a GitOps reconciler
(exit 78 unless --allow-gitops-drift), or locked by another operation (exit 73, naming the holder). Then, under the
release lock: migrations in the primary region (a failed migration stops the release before any component
changes), the configuration push, the components in dependsOn waves region by region through the deploy gates,
and the health roll-up of the environment. Any failure rolls back every component this release changed, and
restores its ConfigMaps, in one compensation step (exit 80; 81 if a rollback is unhealthy too). Migrations are
forward-only: they stay applied. The release record (ConfigMap mkt-release-<id> in the primary region) is
written after every step: \`mkt release status\` reads it, --resume <id> finishes a release whose runner died.`
  static override flags = {
    file: releaseFileFlag,
    env: envFlag,
    plan: Flags.boolean({ summary: 'Print the plan and exit without changing anything.', env: 'MKT_PLAN', default: false }),
    resume: Flags.string({ summary: 'Continue the interrupted release with this id where it stopped (same release.yaml).', env: 'MKT_RESUME', helpValue: '<id>' }),
    'allow-gitops-drift': Flags.boolean({ summary: 'Change Deployments a GitOps reconciler (Flux, Argo CD) owns anyway.', env: 'MKT_ALLOW_GITOPS_DRIFT', default: false }),
    'config-dir': configDirFlag,
    ...secretValueFlags,
    progress: progressFlag,
    timeout: timeoutFlag({ summary: 'Progress deadline of each component rollout (default defaults.timeouts.rollout, 10m).', env: 'MKT_TIMEOUT' }),
    'max-duration': timeoutFlag({ summary: 'Overall cap of each component rollout, canary steps included (default 3 × --timeout).', env: 'MKT_MAX_DURATION' }),
    'rollback-timeout': timeoutFlag({ summary: 'Budget of the rollback (default defaults.timeouts.rollback).', env: 'MKT_ROLLBACK_TIMEOUT' }),
    'ready-grace': durationFlag({ summary: 'How long a never-Ready pod may run past its readinessProbe budget.', default: parseDuration('30s'), env: 'MKT_READY_GRACE' }),
    reason: Flags.string({ char: 'r', summary: 'Why: recorded in the release record and every change-cause.', env: 'MKT_REASON' }),
    ...provenanceFlags,
    yes: yesFlag,
  }
  static override examples = [
    '<%= config.bin %> release run -f release.yaml --env staging --reason "PRJ-42"',
    'DB_PASSWORD="$PW" <%= config.bin %> release run -f release.yaml --env prod --from-env catalog--Db--Password=DB_PASSWORD --yes --json',
    '<%= config.bin %> release run -f release.yaml --env prod --resume 20261202-121530-a1b2 --yes',
  ]

  async run(): Promise<{ planOnly: boolean; plan: ReleasePlan; record: ReleaseRecord | null }> {
    const { flags } = this
    const loaded = await this.platform()
    const { platform } = loaded
    if (flags.resume) checkReleaseId(flags.resume)
    const values = readSecretValues({ fromEnv: flags['from-env'] ?? [], fromFile: flags['from-file'] ?? [], ...(flags.stdin ? { stdin: flags.stdin } : {}) }, () => readFileSync(0, 'utf8'))
    const inputs = await releaseInputs(loaded, flags.file, (name) => this.environment(name), flags.env, flags['config-dir'])
    const budgets = {
      timeoutMs: flags.timeout ?? parseDuration(platform.defaults.timeouts.rollout),
      rollbackTimeoutMs: flags['rollback-timeout'] ?? parseDuration(platform.defaults.timeouts.rollback),
      readyGraceMs: flags['ready-grace'],
    }
    const gates = releaseGates(platform, { rolloutMs: budgets.timeoutMs, rollbackMs: budgets.rollbackTimeoutMs }, inputs.regions)
    if (flags.plan) {
      const { plan } = await prepareRelease({ platform, ...inputs, values, allowUnreferenced: flags['allow-unreferenced'] })
      this.out.result(describeReleasePlan(plan, gates).join('\n'))
      return { planOnly: true, plan, record: null }
    }
    const runner = runnerOf()
    const groups = new PipelineGroups(runner)
    const progress = await createProgress(this.out, [], { multiRegion: inputs.regions.length > 1, mode: flags.progress })
    let planned: ReleasePlan | undefined
    const work = progress.run(() =>
      executeRelease({
        platform,
        ...inputs,
        values,
        allowUnreferenced: flags['allow-unreferenced'],
        platformSource: loaded.source,
        identity: lockIdentity(),
        audit: { deployedBy: whoAmI(), deployedAt: Date.now(), ...(flags.reason ? { reason: flags.reason } : {}), ...provenance({ gitSha: flags['git-sha'], runUrl: flags['run-url'] }) },
        budgets: { ...budgets, maxDurationMs: flags['max-duration'] ?? 3 * budgets.timeoutMs },
        allowGitopsDrift: flags['allow-gitops-drift'],
        ...(flags.resume ? { resume: flags.resume } : {}),
        signal: this.abort.signal,
        onEvent: (event) => {
          if (event.kind === 'warning') {
            this.out.warnings.push(`${event.region}/${event.component}: ${event.message}`)
            if (runner) process.stderr.write(`${warningAnnotation(runner, `${event.region}/${event.component}: ${event.message}`)}\n`)
          }
          progress.onEvent(event)
        },
        onStep: (message) => this.out.info(`${timestamp()} ${message}`),
        onPhase: (title) => groups.phase(title),
        beforeChange: async (plan) => {
          planned = plan
          for (const line of describeReleasePlan(plan, gates)) this.out.info(`plan: ${line}`)
          await this.confirmChange(inputs.environment, `release ${inputs.manifest.name} ${inputs.manifest.version}`, flags.yes)
          groups.phase(plan.waves.length > 0 ? `Components (${plan.waves.length} wave${plan.waves.length === 1 ? '' : 's'})` : undefined)
        },
      }),
    )
    this.onInterrupt(async () => {
      const outcome = await work.catch(() => undefined)
      if (!outcome) return undefined
      this.finishOutcome(outcome)
      return { planOnly: false, plan: outcome.plan, record: outcome.record }
    })
    const outcome = await work.finally(() => groups.phase(undefined))
    if (this.abort.signal.aborted) return this.waitForInterruptExit()
    this.finishOutcome(outcome)
    const json = { planOnly: false, plan: outcome.plan ?? planned, record: outcome.record }
    if (outcome.exitCode !== 0) {
      throw errorForExit(outcome.exitCode, outcome.failure, {
        result: json,
        hints: [
          outcome.exitCode === 81
            ? 'Page the on-call owner: a component is not healthy on either revision. `mkt release status` shows each one.'
            : `\`mkt release status ${outcome.record.id} --env ${outcome.record.environment}\` shows every step; migrations are forward-only and were not undone.`,
        ],
      })
    }
    return json
  }

  private finishOutcome(outcome: RunOutcome): void {
    const { record } = outcome
    if (record.items.length > 0) {
      this.out.result(
        renderTable(record.items, [
          { header: 'wave', get: (i) => String(i.wave) },
          { header: 'region', get: (i) => i.region },
          { header: 'component', get: (i) => i.component },
          { header: 'from', get: (i) => i.from ?? '-' },
          { header: 'to', get: (i) => i.to ?? '-' },
          { header: 'outcome', get: (i) => i.outcome, style: (i) => (i.outcome === 'deployed' ? 'green' : i.outcome === 'rolled-back' ? 'yellow' : 'red') },
        ], this.out),
      )
    }
    this.out.result(`release ${record.id}: ${record.status}`)
    writeJobSummary(releaseSummaryMarkdown(record))
  }
}
