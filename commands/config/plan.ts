import { Flags } from '@oclif/core'
import { readFileSync } from 'node:fs'
import { configDirFlag, secretValueFlags } from '../../src/cli/config-flags.js'
import { componentsFlag, envFlag, MktCommand, regionsFlag } from '../../src/cli/mkt-command.js'
import { configRoot } from '../../src/config/files.js'
import { readSecretValues } from '../../src/config/secrets.js'
import { planConfig, planHasChanges, refuseConfigOnContainerApps } from '../../src/config/service.js'
import { regionsFromFlag } from '../../src/kube/client.js'
import { resolveComponents } from '../../src/platform/components.js'
import { describeConfigPlan } from '../../src/config/describe.js'

export default class ConfigPlan extends MktCommand<typeof ConfigPlan> {
  static override summary = "Diff the environment's configuration against each ConfigMap, and secret references against Key Vault."
  static override description = 'Secrets show as present, missing, soft-deleted, or (with a value given) changed/unchanged: their values are never shown, not even hashed.'
  static override flags = {
    env: envFlag,
    component: componentsFlag,
    regions: regionsFlag,
    'config-dir': configDirFlag,
    'exit-code': Flags.boolean({ summary: 'Exit 2 when there are changes, 0 when none.', default: false, env: 'MKT_EXIT_CODE' }),
    ...secretValueFlags,
  }
  static override examples = ['<%= config.bin %> config plan --env staging', '<%= config.bin %> config plan --env prod -c catalog --exit-code --json']

  async run() {
    const { platform, source } = await this.platform()
    const environment = await this.environment(this.flags.env)
    const regions = regionsFromFlag(environment, this.flags.regions)
    refuseConfigOnContainerApps(environment, regions)
    const components = this.flags.component ? resolveComponents(platform, this.flags.component) : platform.components
    const values = readSecretValues({ fromEnv: this.flags['from-env'] ?? [], fromFile: this.flags['from-file'] ?? [], ...(this.flags.stdin ? { stdin: this.flags.stdin } : {}) }, () => readFileSync(0, 'utf8'))
    const plans = await planConfig({ platform, environment, components, regions, root: configRoot(source, this.flags['config-dir']), values, allowUnreferenced: this.flags['allow-unreferenced'] })
    this.out.result(describeConfigPlan(plans))
    if (this.flags['exit-code'] && planHasChanges(plans)) process.exitCode = 2
    return { environment: environment.name, changed: planHasChanges(plans), components: plans }
  }
}
