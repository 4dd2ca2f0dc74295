// `mkt lock status` and `mkt lock break` on each region's own runtime, chosen as deploy and rollback choose it: a
// Lease on Kubernetes (kube/lock.ts), the `mkt-lock` tag on Container Apps (runtime/containerapps/lock.ts), in the
// same result shapes. A break is audited where that runtime keeps such things: a Warning Event on the Deployment, the
// `mkt-lock-broken` tag on the container app.
import { connectRegion } from '../kube/client.js'
import { listLocks, type LockInfo } from '../kube/lock.js'
import type { Component, Environment, Platform, Region } from '../platform/schema.js'
import { breakAndRecord, openRegion, type LockBreakAudit } from './rollback.js'

/** The locks held in a region (expired ones too), of one component or of every component. */
export async function regionLocks(platform: Platform, environment: Environment, region: Region, component?: Component): Promise<LockInfo[]> {
  if (region.containerApps) {
    const { listContainerAppLocks } = await import('../runtime/containerapps/service.js')
    return listContainerAppLocks(platform, environment, region, component ? [component] : platform.components)
  }
  return listLocks(await connectRegion(platform, environment, region), component?.name)
}

/** Breaks the component's lock in a region, whoever holds it, and records who broke it and why. */
export async function breakRegionLock(platform: Platform, environment: Environment, region: Region, component: Component, audit: LockBreakAudit): Promise<{ broken: boolean; holder: string | null }> {
  if (region.containerApps) {
    const { breakContainerAppLock, openContainerApps } = await import('../runtime/containerapps/service.js')
    return breakContainerAppLock(await openContainerApps(platform, environment, region), component, audit)
  }
  return breakAndRecord(await openRegion(platform, environment, region), environment.name, component.name, audit)
}
