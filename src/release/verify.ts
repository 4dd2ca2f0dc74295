// The verify step of a release: the health roll-up of the whole environment, judged for the components the release
// changed. A released component Unhealthy, or Unknown (its region could not be read, so nothing verifies it), fails
// the release; the others' problems are only warned about.
import type { ComponentHealth, HealthModel } from '../health/report.js'

export interface VerifyVerdict {
  /** One line when the release fails its verification. */
  failure?: string
  /** Components the release did not change that are Unhealthy or Unknown. */
  warning?: string
  /** The step's detail when it passes. */
  detail: string
}

const unverified = (c: ComponentHealth) => c.health === 'Unhealthy' || c.health === 'Unknown'

/** Why a component is what it is: its region's explanation, else its backlog's (a worker Unhealthy from dead letters). */
function reasonOf(c: ComponentHealth): string {
  return c.regions.find((r) => r.health === c.health)?.explanation ?? c.backlog.find((b) => b.health !== 'Healthy')?.summary ?? c.health
}

export function verifyVerdict(model: HealthModel, released: ReadonlySet<string>): VerifyVerdict {
  const sick = model.components.filter((c) => unverified(c) && released.has(c.name))
  const others = model.components.filter((c) => unverified(c) && !released.has(c.name))
  const warning = others.length > 0 ? `not changed by this release but Unhealthy or unknown: ${others.map((c) => c.name).join(', ')}` : undefined
  const { Healthy, Degraded, Unhealthy, Unknown } = model.counts
  const detail = `${model.environment} is ${model.health} (${Healthy} healthy, ${Degraded} degraded, ${Unhealthy} unhealthy${Unknown > 0 ? `, ${Unknown} unknown` : ''})`
  if (sick.length === 0) return { detail, ...(warning ? { warning } : {}) }
  // An unreachable region is said once, naming its error, rather than as every component's "region unreachable".
  const unreachable = model.regions.filter((r) => !r.reachable)
  const parts = [
    ...unreachable.map((r) => `region ${r.region} could not be read (${r.error ?? 'unreachable'}), so ${sick.filter((c) => c.health === 'Unknown').length} released component(s) there are not verified`),
    ...sick.filter((c) => c.health === 'Unhealthy').map((c) => `${c.name} is Unhealthy (${reasonOf(c)})`),
  ]
  if (unreachable.length === 0) parts.push(...sick.filter((c) => c.health === 'Unknown').map((c) => `${c.name} is Unknown (${reasonOf(c)})`))
  return { failure: `the health roll-up says ${parts.join('; ')}`, detail, ...(warning ? { warning } : {}) }
}
