import { Flags } from '@oclif/core'
import { resolve } from 'node:path'
import { MktCommand } from '../src/cli/mkt-command.js'
import type { ResultOf } from '../src/cli/result-schemas.js'
import { initProject } from '../src/platform/init.js'

export default class Init extends MktCommand<typeof Init> {
  static override summary = 'Write mkt.yaml, topology.yaml and a config folder from the templates.'
  static override description = 'Refuses to overwrite existing files unless --force is given.'
  static override flags = {
    dir: Flags.string({ summary: 'Directory to write into.', default: '.', env: 'MKT_INIT_DIR', helpValue: '<path>' }),
    force: Flags.boolean({ summary: 'Overwrite files that already exist.', default: false, env: 'MKT_FORCE' }),
  }
  static override examples = ['<%= config.bin %> init', '<%= config.bin %> init --dir ./platform --force']

  async run(): Promise<ResultOf<'init'>> {
    const result = initProject(resolve(this.flags.dir), this.flags.force)
    for (const file of result.written) this.out.info(`wrote ${file}`)
    for (const file of result.overwritten) this.out.info(`overwrote ${file}`)
    this.out.result(`Initialized mkt in ${result.directory}. Next: edit mkt.yaml, then run \`mkt env list\`.`)
    return result
  }
}
