import { Flags } from '@oclif/core'
import { formatDuration, parseDuration } from '../duration.js'
import type { Platform, Region } from '../platform/schema.js'

export const releaseFileFlag = Flags.string({ char: 'f', summary: 'The release manifest (release.yaml).', required: true, env: 'MKT_RELEASE_FILE', helpValue: '<file>' })

/** The gates every component rollout of a release passes, per runtime of its regions, with the platform's budgets. */
export function releaseGates(platform: Platform, budgets?: { rolloutMs?: number; rollbackMs?: number }, regions?: readonly Region[]): string {
  const rollout = budgets?.rolloutMs ?? parseDuration(platform.defaults.timeouts.rollout)
  const rollback = budgets?.rollbackMs ?? parseDuration(platform.defaults.timeouts.rollback)
  const containerApps = regions?.filter((r) => r.containerApps).map((r) => r.name) ?? []
  const kubernetes = regions === undefined || regions.some((r) => !r.containerApps)
  const lines = ['Gates of every component rollout (at each canary step too):']
  // Under a runtime's heading (environments with Container Apps regions) its gates are indented once more.
  if (kubernetes) {
    const indent = containerApps.length > 0 ? '    ' : '  '
    if (containerApps.length > 0) lines.push('  Kubernetes regions:')
    lines.push(`${indent}progress   the Deployment's progress deadline; pods: no CrashLoopBackOff, image pull error, OOMKilled or restart burst`)
    lines.push(`${indent}readiness  /health/ready of every new pod; bake: all of the above held for the component bake`)
  }
  if (containerApps.length > 0) {
    lines.push(`  Container Apps regions (${containerApps.join(', ')}): a new revision, the traffic moved to it (canary: step by step)`)
    lines.push('    progress   the revision provisions and runs; replicas: no crash loop, image pull failure or restart burst')
    lines.push("    readiness  every replica ready and /health/ready through the revision's FQDN; bake: all of the above held for the component bake")
  }
  lines.push(`Budgets: ${formatDuration(rollout)} without progress fails a rollout; a failure rolls back every component of the release within ${formatDuration(rollback)}.`)
  return lines.join('\n')
}
