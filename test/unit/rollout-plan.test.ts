import { describe, expect, it } from 'vitest'
import { errorOf } from '../helpers/errors.js'
import { MktError } from '../../src/errors.js'
import { canaryStepsFor, hasChanges, normalizeCanarySteps, parseCanarySteps, planDeploy, type PlanInput } from '../../src/rollout/plan.js'

const catalog = { name: 'marketplace-catalog-service', container: 'marketplace-catalog-service' }
const search = { name: 'marketplace-search-service', container: 'marketplace-search-service', repository: 'weuacr.azurecr.io/marketplace-search-service' }
const running = (image: string, extra: Partial<{ revision: number; paused: boolean; replicas: number; strategyType: string; autoscaler: string }> = {}) => ({
  image,
  revision: 4,
  paused: false,
  replicas: 4,
  ...extra,
})

const input: PlanInput = {
  components: [catalog, search],
  regions: ['westeurope', 'northeurope'],
  current: {
    westeurope: {
      [catalog.name]: running('weuacr.azurecr.io/marketplace-catalog-service:1.4.0'),
      [search.name]: running('weuacr.azurecr.io/marketplace-search-service:2.0.0'),
    },
    northeurope: {
      [catalog.name]: running('neuacr.azurecr.io/marketplace-catalog-service:1.4.0'),
      [search.name]: running('neuacr.azurecr.io/marketplace-search-service:1.9.0'),
    },
  },
  targetImage: '2.0.0',
  strategy: 'rolling',
  bakeMs: 120_000,
  componentWaves: [[catalog.name], [search.name]],
}


describe('planDeploy', () => {
  it('resolves a bare tag per region against each registry and marks what changes', () => {
    const plan = planDeploy(input)
    const rows = plan.regions.flatMap((r) => r.components.map((e) => [r.region, e.component, e.from, e.to, e.changes]))
    expect(rows).toEqual([
      ['westeurope', catalog.name, 'weuacr.azurecr.io/marketplace-catalog-service:1.4.0', 'weuacr.azurecr.io/marketplace-catalog-service:2.0.0', true],
      ['westeurope', search.name, 'weuacr.azurecr.io/marketplace-search-service:2.0.0', 'weuacr.azurecr.io/marketplace-search-service:2.0.0', false],
      ['northeurope', catalog.name, 'neuacr.azurecr.io/marketplace-catalog-service:1.4.0', 'neuacr.azurecr.io/marketplace-catalog-service:2.0.0', true],
      ['northeurope', search.name, 'neuacr.azurecr.io/marketplace-search-service:1.9.0', 'neuacr.azurecr.io/marketplace-search-service:2.0.0', true],
    ])
    expect(hasChanges(plan)).toBe(true)
    expect(plan.blockers).toEqual([])
  })

  it('orders waves region by region, components in dependency order, only what changes', () => {
    expect(planDeploy(input).waves).toEqual([
      [{ region: 'westeurope', component: catalog.name }],
      [{ region: 'northeurope', component: catalog.name }],
      [{ region: 'northeurope', component: search.name }],
    ])
    expect(planDeploy({ ...input, regionWaves: [['westeurope', 'northeurope']], componentWaves: undefined }).waves).toEqual([
      [
        { region: 'westeurope', component: catalog.name },
        { region: 'northeurope', component: catalog.name },
        { region: 'northeurope', component: search.name },
      ],
    ])
  })

  it('has no changes when everything already runs the target', () => {
    const plan = planDeploy({ ...input, components: [search], regions: ['westeurope'] })
    expect(hasChanges(plan)).toBe(false)
    expect(plan.waves).toEqual([])
  })

  it('describes the gates', () => {
    const [entry] = planDeploy(input).regions[0]!.components
    expect(entry!.gates.map((g) => g.gate)).toEqual(['progress', 'pods', 'readiness', 'bake'])
    expect(entry!.gates[3]!.description).toBe('all of the above hold for 2m')
    expect(entry!.strategy).toBe('rolling')
    expect(entry!.revision).toBe(4)
  })

  it('reports blockers per entry instead of throwing: missing Deployment, missing container, paused', () => {
    const plan = planDeploy({
      ...input,
      current: {
        westeurope: { [catalog.name]: 'missing', [search.name]: { revision: 3, paused: false, replicas: 2 } },
        northeurope: { [search.name]: running('neuacr.azurecr.io/marketplace-search-service:1.9.0', { paused: true }) },
      },
    })
    expect(plan.blockers).toEqual([
      `westeurope/${catalog.name}: deployment ${catalog.name} not found; mkt deploy updates existing Deployments (apply the manifests first)`,
      `westeurope/${search.name}: container "${search.name}" not found in the pod template`,
      `northeurope/${catalog.name}: deployment ${catalog.name} not found; mkt deploy updates existing Deployments (apply the manifests first)`,
      `northeurope/${search.name}: the Deployment is paused (an interrupted canary?); run \`mkt rollback\` or resume it first`,
    ])
    expect(plan.waves).toEqual([])
    // The component's repository still resolves the bare tag for display.
    expect(plan.regions[0]!.components[1]!.to).toBe('weuacr.azurecr.io/marketplace-search-service:2.0.0')
  })

  it('throws a usage error (exit 64) for a malformed image before reading anything', () => {
    const error = errorOf(() => planDeploy({ ...input, targetImage: 'Catalog:2.0.0' }))
    expect(error).toBeInstanceOf(MktError)
    expect(error.exitCode).toBe(64)
    expect(error.message).toBe('invalid image reference "Catalog:2.0.0": repository must be lowercase ("Catalog")')
    expect(errorOf(() => planDeploy({ ...input, bakeMs: -1 })).exitCode).toBe(64)
  })

  it('plans canary steps per Deployment size', () => {
    const plan = planDeploy({ ...input, strategy: 'canary', canarySteps: [25, 50] })
    const entry = plan.regions[0]!.components[0]!
    expect(entry.canarySteps).toEqual([
      { weight: 25, canaryReplicas: 1, podShare: 20, promote: false },
      { weight: 50, canaryReplicas: 2, podShare: 33, promote: false },
      { weight: 100, canaryReplicas: 4, podShare: 100, promote: true },
    ])
    expect(entry.gates[0]!.description).toBe('at each step, the rollout progresses; fails on ProgressDeadlineExceeded')
  })

  it('runs a rolling update instead of a canary at 0 replicas, and blocks a canary on Recreate', () => {
    const plan = planDeploy({
      ...input,
      components: [catalog],
      regions: ['westeurope', 'northeurope'],
      strategy: 'canary',
      current: {
        westeurope: { [catalog.name]: running('weuacr.azurecr.io/marketplace-catalog-service:1.4.0', { replicas: 0 }) },
        northeurope: { [catalog.name]: running('neuacr.azurecr.io/marketplace-catalog-service:1.4.0', { strategyType: 'Recreate' }) },
      },
    })
    expect(plan.regions[0]!.components[0]).toMatchObject({ strategy: 'rolling', notes: ['0 replicas: nothing to canary, a rolling update instead'] })
    expect(plan.regions[1]!.components[0]!.blockers).toEqual(['a canary needs the RollingUpdate strategy; the Deployment uses Recreate'])
  })
})

describe('autoscaled Deployments', () => {
  it('says the deploy leaves spec.replicas to the HPA or ScaledObject that owns it, and no patch writes it', async () => {
    const plan = planDeploy({
      ...input,
      components: [catalog],
      regions: ['westeurope'],
      current: { westeurope: { [catalog.name]: running('weuacr.azurecr.io/marketplace-catalog-service:1.4.0', { replicas: 10, autoscaler: 'HorizontalPodAutoscaler marketplace-catalog-service (2-10 replicas)' }) } },
    })
    expect(plan.regions[0]!.components[0]!.notes).toEqual(['replicas are owned by HorizontalPodAutoscaler marketplace-catalog-service (2-10 replicas): the deploy leaves spec.replicas (10) alone'])
    expect(planDeploy({ ...input, components: [catalog], regions: ['westeurope'] }).regions[0]!.components[0]!.notes).toEqual([])

    const { canaryStartPatch, canaryStepPatch, pausePatch, promotePatch, rolloutPatch } = await import('../../src/rollout/patches.js')
    const deployment = { metadata: { name: catalog.name, annotations: {} }, spec: { replicas: 10, selector: {}, template: { spec: { containers: [{ name: catalog.name, image: 'a:1' }] } } } }
    const audit = { deployedBy: 'u@h', deployedAt: Date.parse('2026-01-01T00:00:00Z'), reason: 'r' }
    for (const patch of [rolloutPatch(deployment, catalog.name, 'a:2', audit), canaryStartPatch(deployment, catalog.name, 'a:2', audit, 3), canaryStepPatch(5), pausePatch(), promotePatch({ paused: false, rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } })]) {
      expect(JSON.stringify(patch.body)).not.toMatch(/"replicas"/)
    }
  })
})

describe('canary steps', () => {
  it('normalizes and validates weights', () => {
    expect(normalizeCanarySteps([10, 50])).toEqual([10, 50, 100])
    expect(normalizeCanarySteps([25, 50, 100])).toEqual([25, 50, 100])
    expect(errorOf(() => normalizeCanarySteps([50, 25])).message).toBe('canary steps must ascend: 50,25')
    expect(errorOf(() => normalizeCanarySteps([0, 50])).message).toBe('canary step 0 is not a whole percent from 1 to 100')
    expect(errorOf(() => normalizeCanarySteps([])).exitCode).toBe(64)
  })

  it('parses --steps text', () => {
    expect(parseCanarySteps('25,50,100')).toEqual([25, 50, 100])
    expect(parseCanarySteps('10%, 30%')).toEqual([10, 30, 100])
    expect(errorOf(() => parseCanarySteps('25,half')).message).toBe('canary step "half" is not a whole percent (use --steps 25,50,100)')
  })

  it('maps weights to pods, at least one, merging steps that round alike', () => {
    expect(canaryStepsFor([25, 50, 100], 2)).toEqual([
      { weight: 50, canaryReplicas: 1, podShare: 33, promote: false },
      { weight: 100, canaryReplicas: 2, podShare: 100, promote: true },
    ])
    expect(canaryStepsFor([1, 100], 10)[0]).toEqual({ weight: 1, canaryReplicas: 1, podShare: 9, promote: false })
  })
})
