import { Flags } from '@oclif/core'
import { existsSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { envFlag, MktCommand } from '../../src/cli/mkt-command.js'
import { usageError } from '../../src/errors.js'
import { regionsFromFlag } from '../../src/kube/client.js'
import { releaseManifestFromCluster } from '../../src/release/init.js'

export default class ReleaseInit extends MktCommand<typeof ReleaseInit> {
  static override summary = 'Write a release.yaml from what an environment runs now.'
  static override flags = {
    env: envFlag,
    file: Flags.string({ char: 'f', summary: 'Where to write it.', default: 'release.yaml', env: 'MKT_RELEASE_FILE', helpValue: '<file>' }),
    name: Flags.string({ summary: 'The release name.', default: 'marketplace', env: 'MKT_RELEASE_NAME' }),
    version: Flags.string({ summary: 'The release version.', default: '0.0.0', env: 'MKT_RELEASE_VERSION' }),
    force: Flags.boolean({ summary: 'Overwrite an existing file.', default: false, env: 'MKT_FORCE' }),
  }
  static override examples = ['<%= config.bin %> release init --env staging --version 2026.12.1']

  async run() {
    const { flags } = this
    const { platform } = await this.platform()
    const environment = await this.environment(flags.env)
    const file = resolve(flags.file)
    if (existsSync(file) && !flags.force) throw usageError(`${flags.file} exists; mkt release init does not overwrite it`, { hints: ['Pass --force to overwrite it, or -f to write another file.'] })
    const { text, components } = await releaseManifestFromCluster(platform, environment, regionsFromFlag(environment, undefined), flags.name, flags.version)
    writeFileSync(file, text)
    this.out.result(`wrote ${flags.file}: ${components} components as ${environment.name} runs them now`)
    return { file, environment: environment.name, components }
  }
}
