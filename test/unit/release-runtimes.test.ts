// A release in an environment that mixes runtimes: where its record and lock live, the gates its plan names,
// and the verify step's judgement of the health roll-up (pure functions; the built CLI is in
// test/e2e/release-runtimes.test.ts).
import { describe, expect, it } from 'vitest'
import { releaseGates } from '../../src/cli/release-flags.js'
import { composeModel } from '../../src/health/probe.js'
import { componentRegionHealth } from '../../src/health/report.js'
import { noReleaseHome, releaseHomeRegion } from '../../src/release/plan.js'
import { verifyVerdict } from '../../src/release/verify.js'
import type { Component, Environment, Region } from '../../src/platform/schema.js'

const aca = (name: string, primary = false) => ({ name, primary, namespace: 'marketplace', containerApps: { subscription: 's', resourceGroup: 'rg', environment: 'cae' } }) as Region
const aks = (name: string, primary = false) => ({ name, primary, namespace: 'marketplace', aks: { subscription: 's', resourceGroup: 'rg', cluster: name } }) as Region
const environment = (...regions: Region[]) => ({ name: 'prod', regions }) as Environment

describe('the release home region', () => {
  it('is the first Kubernetes region, primary first: a Container Apps primary is skipped', () => {
    expect(releaseHomeRegion(environment(aca('weu', true), aks('neu'), aks('eus')))?.name).toBe('neu')
    expect(releaseHomeRegion(environment(aks('neu'), aks('weu', true)))?.name).toBe('weu')
    expect(noReleaseHome(environment(aca('weu', true), aks('neu')))).toBeUndefined()
  })

  it('does not exist on Container Apps alone, and says why in one line', () => {
    expect(releaseHomeRegion(environment(aca('weu', true), aca('neu')))).toBeUndefined()
    expect(noReleaseHome(environment(aca('weu', true)))).toBe('environment prod has no Kubernetes region to keep the release record and lock in (a ConfigMap and a Lease): mkt release cannot run on Container Apps alone')
  })
})

describe('the gates a release plan names', () => {
  const platform = { defaults: { timeouts: { rollout: '10m', rollback: '5m' } } } as Parameters<typeof releaseGates>[0]
  it('per runtime of its regions', () => {
    const kubernetesOnly = releaseGates(platform, undefined, [aks('weu')])
    expect(kubernetesOnly).toContain("the Deployment's progress deadline")
    expect(kubernetesOnly).not.toContain('Container Apps')
    const containerAppsOnly = releaseGates(platform, undefined, [aca('weu')])
    expect(containerAppsOnly).not.toContain('Deployment')
    expect(containerAppsOnly).toContain("/health/ready through the revision's FQDN")
    const mixed = releaseGates(platform, undefined, [aks('weu'), aca('neu')]).split('\n')
    expect(mixed.filter((l) => /^ {2}\S/.test(l))).toEqual(['  Kubernetes regions:', '  Container Apps regions (neu): a new revision, the traffic moved to it (canary: step by step)'])
  })
})

describe('the verify step', () => {
  const components = [{ name: 'a', kind: 'service' }, { name: 'b', kind: 'service' }] as Component[]
  const AT = '2026-12-02T09:00:00.000Z'
  const ready = (n: number) => ({ metadata: { name: 'x', generation: 1 }, spec: { replicas: 2, selector: { matchLabels: { app: 'x' } }, template: {} }, status: { observedGeneration: 1, replicas: 2, updatedReplicas: 2, readyReplicas: n, availableReplicas: n } })
  const model = (regionDown: boolean, bReady = 2) =>
    composeModel(
      { environment: { name: 'prod' } as Environment, components, regions: [aks('weu'), aca('neu')] },
      [{ region: aks('weu'), at: AT }, regionDown ? { region: aca('neu'), error: 'ECONNREFUSED', exitCode: 69, at: AT } : { region: aca('neu'), at: AT }],
      (component, region) => componentRegionHealth(region.name, ready(component.name === 'b' ? bReady : 2), [], [], AT),
      new Map(),
      10,
    )

  it('passes when what the release changed is healthy, and counts what is unknown', () => {
    expect(verifyVerdict(model(false), new Set(['a']))).toEqual({ detail: 'prod is Healthy (2 healthy, 0 degraded, 0 unhealthy)' })
  })

  it('fails on a released component Unhealthy, and only warns about one the release did not change', () => {
    expect(verifyVerdict(model(false, 0), new Set(['b'])).failure).toBe('the health roll-up says b is Unhealthy (0/2 ready: no pods)')
    expect(verifyVerdict(model(false, 0), new Set(['a']))).toEqual({ detail: 'prod is Unhealthy (1 healthy, 0 degraded, 1 unhealthy)', warning: 'not changed by this release but Unhealthy or unknown: b' })
  })

  it('fails when a released component cannot be verified because its region is unreachable, naming the region once', () => {
    const verdict = verifyVerdict(model(true, 0), new Set(['a', 'b']))
    expect(verdict.failure).toBe('the health roll-up says region neu could not be read (ECONNREFUSED), so 1 released component(s) there are not verified; b is Unhealthy (0/2 ready: no pods)')
    expect(verdict.detail).toBe('prod is Unhealthy (0 healthy, 0 degraded, 1 unhealthy, 1 unknown)')
  })
})
