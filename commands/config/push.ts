import { Flags } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { configDirFlag, secretValueFlags } from '../../src/cli/config-flags.js'
import { durationFlag, timeoutFlag } from '../../src/cli/duration-flag.js'
import { componentsFlag, envFlag, MktCommand, regionsFlag, yesFlag } from '../../src/cli/mkt-command.js'
import { createProgress, progressFlag } from '../../src/cli/progress.js'
import { configRoot } from '../../src/config/files.js'
import { readSecretValues } from '../../src/config/secrets.js'
import { pushConfig, refuseConfigOnContainerApps } from '../../src/config/service.js'
import { lockIdentity, whoAmI } from '../../src/rollout/audit.js'
import { exitCodeFor } from '../../src/rollout/deploy.js'
import { parseDuration } from '../../src/duration.js'
import { errorForExit } from '../../src/errors.js'
import { regionsFromFlag } from '../../src/kube/client.js'
import { resolveComponents } from '../../src/platform/components.js'
import { plural } from '../../src/text.js'


export default class ConfigPush extends MktCommand<typeof ConfigPush> {
  static override summary = 'Write ConfigMaps (server-side apply), wire them into Deployments, and set Key Vault secrets.'
  static override description = `Secret values come from --from-env NAME=VAR, --from-file NAME=PATH or --stdin NAME, never from a flag value.
An unchanged secret creates no new version; a soft-deleted one is recovered. Without --restart no pod template changes:
running pods keep their configuration and mkt says which components wait for a restart. --restart rolls each of them
through the deploy gates (automatic rollback included), wiring the ConfigMap (envFrom) on the first push and stamping
a configuration checksum on the pod template.`
  static override flags = {
    env: envFlag,
    component: componentsFlag,
    regions: regionsFlag,
    'config-dir': configDirFlag,
    ...secretValueFlags,
    restart: Flags.boolean({ summary: 'Roll the components whose pods lack this configuration (first push included), gated, with automatic rollback.', default: false, env: 'MKT_RESTART' }),
    progress: progressFlag,
    bake: durationFlag({ summary: 'With --restart: how long the gates must hold.', default: parseDuration('10s'), env: 'MKT_BAKE' }),
    timeout: timeoutFlag({ summary: 'With --restart: budget of each rollout.', env: 'MKT_TIMEOUT' }),
    'rollback-timeout': timeoutFlag({ summary: 'With --restart: budget of an automatic rollback.', env: 'MKT_ROLLBACK_TIMEOUT' }),
    'auto-rollback': Flags.boolean({ summary: 'With --restart: roll back by itself when a gate fails.', default: true, allowNo: true, env: 'MKT_AUTO_ROLLBACK' }),
    reason: Flags.string({ char: 'r', summary: 'With --restart: why, recorded in the release history and change-cause of each restart.', env: 'MKT_REASON' }),
    yes: yesFlag,
  }
  static override examples = [
    '<%= config.bin %> config push --env staging',
    'CATALOG_DB="$DB_URL" <%= config.bin %> config push --env prod -c catalog --from-env catalog--ConnectionStrings--Database=CATALOG_DB --restart --yes',
    'az keyvault secret show … | <%= config.bin %> config push --env dev --stdin pricing--Stripe--ApiKey',
  ]

  async run() {
    const { flags } = this
    const { platform, source } = await this.platform()
    const environment = await this.environment(flags.env)
    const regions = regionsFromFlag(environment, flags.regions)
    refuseConfigOnContainerApps(environment, regions)
    const components = flags.component ? resolveComponents(platform, flags.component) : platform.components
    const values = readSecretValues({ fromEnv: flags['from-env'] ?? [], fromFile: flags['from-file'] ?? [], ...(flags.stdin ? { stdin: flags.stdin } : {}) }, () => readFileSync(0, 'utf8'))
    await this.confirmChange(environment, 'push configuration', flags.yes)
    const progress = await createProgress(this.out, [], { multiRegion: regions.length > 1, mode: flags.progress })
    const result = await pushConfig(
      { platform, environment, components, regions, root: configRoot(source, flags['config-dir']), values, allowUnreferenced: flags['allow-unreferenced'] },
      {
        restart: flags.restart,
        rollout: {
          bakeMs: flags.bake,
          timeoutMs: flags.timeout ?? parseDuration(platform.defaults.timeouts.rollout),
          rollbackTimeoutMs: flags['rollback-timeout'] ?? parseDuration(platform.defaults.timeouts.rollback),
          autoRollback: flags['auto-rollback'],
          signal: this.abort.signal,
          onEvent: progress.onEvent,
          identity: lockIdentity(),
          audit: { deployedBy: whoAmI(), deployedAt: Date.now(), ...(flags.reason ? { reason: flags.reason } : {}) },
        },
        onStep: (message) => this.out.info(message),
      },
    )
    const changed = result.configMaps.filter((c) => c.changed || c.envFromAdded).length
    const waiting = result.configMaps.filter((c) => c.waitingForRestart)
    if (waiting.length > 0) {
      const names = [...new Set(waiting.map((c) => c.component))]
      this.out.warn(
        `${names.length} component${names.length === 1 ? '' : 's'} (${names.join(', ')}) keep${names.length === 1 ? 's' : ''} running with ${names.length === 1 ? 'its' : 'their'} previous configuration: no pod template was changed. ` +
          `Apply it with a gated rollout: mkt config push --env ${environment.name}${flags.component ? flags.component.map((c) => ` -c ${c}`).join('') : ''} --restart`,
      )
    }
    const written = result.secrets.filter((s) => s.outcome !== 'unchanged').length
    this.out.result(`Pushed ${environment.name}: ${plural(changed, 'ConfigMap')} changed, ${plural(written, 'secret')} written, ${plural(result.restarts.length, 'restart')}.`)
    if (!flags.restart && waiting.length === 0 && (changed > 0 || written > 0)) {
      this.out.warn('running pods keep the configuration they started with until they restart: run again with --restart to roll them (gated, like a deploy)')
    }
    const json = { environment: environment.name, ...result, restarts: result.restarts.map((r) => ({ region: r.region, component: r.component, outcome: r.outcome, reason: r.reason, fromRevision: r.fromRevision, toRevision: r.toRevision })) }
    const failed = result.restarts.find((r) => r.outcome !== 'deployed')
    if (failed) {
      throw errorForExit(exitCodeFor(result.restarts, this.abort.signal.aborted), `restart of ${failed.component} in ${failed.region} failed: ${failed.reason}${failed.rollback ? `; rollback ${failed.rollback.outcome}` : ''}`, {
        result: json,
        hints: ['The configuration is pushed; the previous pods serve again. Fix the configuration or the app and push again.'],
      })
    }
    return json
  }
}
