// The deploy plan: for every region and component, what runs now, what will run, whether anything changes, how
// (strategy, canary steps) and behind which gates — and what blocks it. Pure: the orchestrator reads the
// Deployments first and passes what it found in `current`.
//
// Problems with the request itself (a malformed image, bad canary steps) throw a usage error (exit 64) before
// anything is read or changed; problems found in a cluster (no such Deployment, container, a paused rollout)
// are `blockers` on the entry, so `--plan` can show them all at once.

import { formatDuration } from '../duration.js'
import { usageError } from '../errors.js'
import type { GateName } from './gates.js'
import { checkImageInput, resolveImage } from './image.js'

export type Strategy = 'rolling' | 'canary'

export interface PlanComponent {
  /** Kubernetes name of the Deployment (kebab-case). */
  name: string
  /** Container in the pod template whose image is released. */
  container: string
  /** The component's configured image repository: resolves a bare tag when the container has no image. */
  repository?: string
}

export interface CurrentDeployment {
  /** Image of the component's container now; undefined when the pod template has no such container. */
  image?: string
  revision: number
  paused: boolean
  replicas: number
  /** `RollingUpdate` (default) or `Recreate`. */
  strategyType?: string
  /** The autoscaler that owns spec.replicas (`HorizontalPodAutoscaler x (2-10 replicas)`), if any. */
  autoscaler?: string
}

/** What the orchestrator found in one region for one component. */
export type CurrentState = CurrentDeployment | 'missing'

export interface PlanInput {
  components: readonly PlanComponent[]
  /** Regions in rollout order (primary first). */
  regions: readonly string[]
  /** current[region][component]; absent counts as missing. */
  current: Readonly<Record<string, Readonly<Record<string, CurrentState | undefined>>>>
  /** What the operator passed to --image: a full reference, a bare tag or a bare @digest. */
  targetImage: string
  strategy: Strategy
  /** Canary weights in percent, ascending (`--steps 25,50,100`); 100 is appended when missing. */
  canarySteps?: readonly number[]
  bakeMs: number
  /** Components in dependency waves (platform dependencyWaves); default: all in one wave. */
  componentWaves?: readonly (readonly string[])[]
  /** Regions in waves; default: one region per wave, in `regions` order. */
  regionWaves?: readonly (readonly string[])[]
}

export interface CanaryStep {
  /** The requested weight in percent. */
  weight: number
  /** New pods run during this step, next to all stable ones (the final step promotes: all pods new). */
  canaryReplicas: number
  /** Approximate share of pods (so of traffic behind the Service) on the new version, in percent. */
  podShare: number
  promote: boolean
}

export interface PlanGate {
  gate: GateName
  description: string
}

export interface PlanEntry {
  region: string
  component: string
  container: string
  from?: string
  to?: string
  changes: boolean
  strategy: Strategy
  gates: PlanGate[]
  revision?: number
  replicas?: number
  canarySteps?: CanaryStep[]
  /** Reasons this entry cannot be deployed; the deploy must not start while any exist. */
  blockers: string[]
  /** Things worth a line that do not block (a canary downgraded to rolling at 0 replicas). */
  notes: string[]
}

export interface PlanWaveItem {
  region: string
  component: string
}

export interface DeployPlan {
  targetImage: string
  strategy: Strategy
  bakeMs: number
  regions: Array<{ region: string; components: PlanEntry[] }>
  /** Execution order: waves one after another, items within a wave in parallel; only entries that change. */
  waves: PlanWaveItem[][]
  /** Every entry's blockers, prefixed with region/component. */
  blockers: string[]
}

export const DEFAULT_CANARY_STEPS = [25, 50, 100] as const

export function planDeploy(input: PlanInput): DeployPlan {
  const imageProblem = checkImageInput(input.targetImage)
  if (imageProblem !== undefined) throw usageError(`invalid image reference "${input.targetImage}": ${imageProblem}`)
  const weights = input.strategy === 'canary' ? normalizeCanarySteps(input.canarySteps ?? DEFAULT_CANARY_STEPS) : []
  if (input.bakeMs < 0 || !Number.isFinite(input.bakeMs)) throw usageError(`bake time must be a duration of 0 or more, got ${input.bakeMs}`)

  const regions = input.regions.map((region) => ({
    region,
    components: input.components.map((component) => planEntry(input, region, component, weights)),
  }))
  const entries = regions.flatMap((r) => r.components)
  return {
    targetImage: input.targetImage,
    strategy: input.strategy,
    bakeMs: input.bakeMs,
    regions,
    waves: executionWaves(input, entries),
    blockers: entries.flatMap((entry) => entry.blockers.map((blocker) => `${entry.region}/${entry.component}: ${blocker}`)),
  }
}

/** True when at least one entry would change an image. */
export function hasChanges(plan: DeployPlan): boolean {
  return plan.regions.some((region) => region.components.some((entry) => entry.changes))
}

/**
 * Validates `--steps` weights: whole percents from 1 to 100, strictly ascending; appends the final 100
 * (promotion) when missing.
 */
export function normalizeCanarySteps(steps: readonly number[]): number[] {
  if (steps.length === 0) throw usageError('canary steps are empty; pass weights like --steps 25,50,100')
  for (const [index, step] of steps.entries()) {
    if (!Number.isInteger(step) || step < 1 || step > 100) {
      throw usageError(`canary step ${JSON.stringify(step)} is not a whole percent from 1 to 100`)
    }
    if (index > 0 && step <= steps[index - 1]!) throw usageError(`canary steps must ascend: ${steps.join(',')}`)
  }
  return steps[steps.length - 1] === 100 ? [...steps] : [...steps, 100]
}

/** `"25,50,100"` → [25, 50, 100], validated as normalizeCanarySteps. */
export function parseCanarySteps(text: string): number[] {
  const items = text.split(',').map((item) => item.trim().replace(/%$/, ''))
  const numbers = items.map((item) => (/^\d+$/.test(item) ? Number(item) : Number.NaN))
  const bad = items.find((_, index) => Number.isNaN(numbers[index]))
  if (bad !== undefined) throw usageError(`canary step "${bad}" is not a whole percent (use --steps 25,50,100)`)
  return normalizeCanarySteps(numbers)
}

/**
 * Replica-count canary steps for a Deployment of `replicas` pods. Weights are approximate: step w runs
 * ceil(w% of replicas) new pods (at least 1, at most all) beside every stable pod, so the new version's share
 * of pods is n / (replicas + n). Steps that round to the same pod count are merged (the later weight is kept).
 */
export function canaryStepsFor(weights: readonly number[], replicas: number): CanaryStep[] {
  const steps: CanaryStep[] = []
  for (const weight of weights) {
    if (weight === 100) {
      steps.push({ weight, canaryReplicas: replicas, podShare: 100, promote: true })
      continue
    }
    const canaryReplicas = Math.min(replicas, Math.max(1, Math.ceil((weight * replicas) / 100)))
    const step = { weight, canaryReplicas, podShare: Math.round((100 * canaryReplicas) / (replicas + canaryReplicas)), promote: false }
    if (steps.length > 0 && steps[steps.length - 1]!.canaryReplicas === canaryReplicas) steps[steps.length - 1] = step
    else steps.push(step)
  }
  return steps
}

function planEntry(input: PlanInput, region: string, component: PlanComponent, weights: number[]): PlanEntry {
  const current = input.current[region]?.[component.name] ?? 'missing'
  const base = { region, component: component.name, container: component.container, blockers: [] as string[], notes: [] as string[] }
  if (current === 'missing') {
    return {
      ...base,
      changes: false,
      strategy: input.strategy,
      gates: [],
      blockers: [`deployment ${component.name} not found; mkt deploy updates existing Deployments (apply the manifests first)`],
    }
  }

  const entry: PlanEntry = {
    ...base,
    changes: false,
    strategy: input.strategy,
    gates: [],
    revision: current.revision,
    replicas: current.replicas,
    ...(current.image === undefined ? {} : { from: current.image }),
  }
  if (current.image === undefined) entry.blockers.push(`container "${component.container}" not found in the pod template`)
  // Patches never carry spec.replicas (patches.ts); with an autoscaler that is the contract, so say so.
  if (current.autoscaler) entry.notes.push(`replicas are owned by ${current.autoscaler}: the deploy leaves spec.replicas (${current.replicas}) alone`)

  const resolved = resolveImage(input.targetImage, { currentImage: current.image, repository: component.repository })
  if (resolved.ok) entry.to = resolved.image
  else entry.blockers.push(`image "${input.targetImage}": ${resolved.reason}`)
  entry.changes = entry.to !== undefined && current.image !== undefined && entry.to !== current.image

  if (current.paused) {
    entry.blockers.push('the Deployment is paused (an interrupted canary?); run `mkt rollback` or resume it first')
  }
  if (input.strategy === 'canary') {
    if ((current.strategyType ?? 'RollingUpdate') !== 'RollingUpdate') {
      entry.blockers.push(`a canary needs the RollingUpdate strategy; the Deployment uses ${current.strategyType}`)
    } else if (current.replicas === 0) {
      entry.strategy = 'rolling'
      entry.notes.push('0 replicas: nothing to canary, a rolling update instead')
    } else {
      entry.canarySteps = canaryStepsFor(weights, current.replicas)
    }
  }
  entry.gates = gatesFor(entry.strategy, input.bakeMs)
  return entry
}

function gatesFor(strategy: Strategy, bakeMs: number): PlanGate[] {
  const perStep = strategy === 'canary' ? 'at each step, ' : ''
  return [
    { gate: 'progress', description: `${perStep}the rollout progresses; fails on ProgressDeadlineExceeded` },
    { gate: 'pods', description: 'new pods: fails on CrashLoopBackOff, image pull errors, OOMKilled, restart bursts, unschedulable' },
    { gate: 'readiness', description: 'every new pod answers /health/ready Healthy (Degraded passes with a warning)' },
    { gate: 'bake', description: bakeMs === 0 ? 'none' : `${perStep}all of the above hold for ${formatDuration(bakeMs)}` },
  ]
}

function executionWaves(input: PlanInput, entries: PlanEntry[]): PlanWaveItem[][] {
  const regionWaves = input.regionWaves ?? input.regions.map((region) => [region])
  const componentWaves = input.componentWaves ?? [input.components.map((c) => c.name)]
  const runnable = new Set(entries.filter((e) => e.changes && e.blockers.length === 0).map((e) => `${e.region}\u0000${e.component}`))
  const waves: PlanWaveItem[][] = []
  for (const regions of regionWaves) {
    for (const components of componentWaves) {
      const wave = regions.flatMap((region) =>
        components.filter((component) => runnable.has(`${region}\u0000${component}`)).map((component) => ({ region, component })),
      )
      if (wave.length > 0) waves.push(wave)
    }
  }
  return waves
}
