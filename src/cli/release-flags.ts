import { Flags } from '@oclif/core'
import { formatDuration, parseDuration } from '../duration.js'
import type { Platform } from '../platform/schema.js'

export const releaseFileFlag = Flags.string({ char: 'f', summary: 'The release manifest (release.yaml).', required: true, env: 'MKT_RELEASE_FILE', helpValue: '<file>' })

/** The gates every component rollout of a release passes, with the platform's budgets. */
export function releaseGates(platform: Platform, budgets?: { rolloutMs?: number; rollbackMs?: number }): string {
  const rollout = budgets?.rolloutMs ?? parseDuration(platform.defaults.timeouts.rollout)
  const rollback = budgets?.rollbackMs ?? parseDuration(platform.defaults.timeouts.rollback)
  return [
    'Gates of every component rollout (at each canary step too):',
    "  progress   the Deployment's progress deadline; pods: no CrashLoopBackOff, image pull error, OOMKilled or restart burst",
    '  readiness  /health/ready of every new pod; bake: all of the above held for the component bake',
    `Budgets: ${formatDuration(rollout)} without progress fails a rollout; a failure rolls back every component of the release within ${formatDuration(rollback)}.`,
  ].join('\n')
}
