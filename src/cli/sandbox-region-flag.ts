// `--region` of the `mkt sandbox fault` commands: faults belong to one cluster, the main one unless a regional
// cluster (a region of a multi-region sandbox environment, like northeurope) is named.
import { Flags } from '@oclif/core'

export const sandboxRegionFlag = Flags.string({
  summary: 'The regional cluster whose faults these are (e.g. northeurope); default: the main cluster (local).',
  env: 'MKT_SANDBOX_REGION',
  helpValue: '<region>',
})

/** ` --region X` for the undo hints, empty for the main cluster. */
export const regionSuffix = (region: string | undefined): string => (region === undefined || region === 'local' ? '' : ` --region ${region}`)
