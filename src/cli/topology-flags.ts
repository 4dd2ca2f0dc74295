import { Flags } from '@oclif/core'

export const topologyFileFlag = Flags.string({
  char: 'f',
  summary: 'topology.yaml to use (default: beside mkt.yaml, else the built-in one).',
  env: 'MKT_TOPOLOGY_FILE',
  helpValue: '<path>',
})
