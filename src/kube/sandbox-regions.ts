// Regional clusters of the sandbox (multi-region environments like `local-multi`), from the CLI side: a sandbox
// region named `local` is the sandbox's main cluster; any other name is a regional cluster of that name, started
// by the sandbox on first use. Reached like the main cluster: over HTTPS, through the kubeconfig it writes.
import { unavailableError, usageError } from '../errors.js'
import type { Platform } from '../platform/schema.js'
import { MAIN_CLUSTER_REGION } from '../sandbox/files.js'
import type { SandboxState } from '../sandbox/lifecycle.js'
import { ensureSandbox, sandboxControl } from './sandbox.js'

export interface SandboxRegion {
  region: string
  endpoint: string
  kubeconfigPath: string
  context: string
  up: boolean
}

export const isMainClusterRegion = (region: string): boolean => region === MAIN_CLUSTER_REGION

async function regionCall(state: SandboxState, path: string, region: string): Promise<SandboxRegion> {
  const response = await sandboxControl<{ region?: SandboxRegion; message?: string }>(state, 'POST', path, { region })
  if (response.status === 400) throw usageError(`sandbox region "${region}": ${response.body.message ?? 'rejected'}`, { hints: ['Region names are lowercase, like northeurope; `local` is the main cluster.'] })
  if (response.status === 404) throw unavailableError('the running sandbox has no regional clusters', { hints: ['It was started by an older mkt: run `mkt sandbox stop` and try again.'] })
  if (response.status >= 300 || !response.body.region) throw unavailableError(`the sandbox answered ${response.status} for region ${region}: ${response.body.message ?? ''}`)
  return response.body.region
}

/** The sandbox's regional clusters are the `sandbox: true` Kubernetes regions of mkt.yaml's environments (other than `local`; a Container Apps region is served by the ARM endpoint). */
export function sandboxRegionNames(platform: Platform): string[] {
  return [...new Set(platform.environments.flatMap((e) => e.regions.filter((r) => r.sandbox && !r.containerApps && !isMainClusterRegion(r.name)).map((r) => r.name)))]
}

/** A region typed on the command line must be one of them: a typo must not start a new, empty cluster. */
function checkSandboxRegion(platform: Platform, region: string): void {
  if (isMainClusterRegion(region)) return
  const known = sandboxRegionNames(platform)
  if (known.includes(region)) return
  throw usageError(`"${region}" is not a sandbox region of any environment in mkt.yaml`, {
    hints: [known.length > 0 ? `Sandbox regions: ${known.join(', ')} (and local, the main cluster).` : 'Only local (the main cluster) is a sandbox region here; the built-in local-multi environment has westeurope and northeurope.'],
  })
}

/** The regional cluster of `region`, started (and seeded) by the sandbox when it is not running yet. */
export async function ensureSandboxRegion(platform: Platform, region: string, state?: SandboxState): Promise<SandboxRegion> {
  return regionCall(state ?? (await ensureSandbox(platform)), '/_sandbox/regions', region)
}

/** Takes a regional cluster's API down (connections refused, like a dead API server) or brings it back. */
export async function setSandboxRegionUp(platform: Platform, region: string, up: boolean): Promise<SandboxRegion> {
  if (isMainClusterRegion(region)) throw usageError(`"${region}" is the sandbox's main cluster; only regional clusters can be taken down`, { hints: ['Name a region of a multi-region environment, like northeurope (mkt sandbox region list).'] })
  checkSandboxRegion(platform, region)
  return regionCall(await ensureSandbox(platform), up ? '/_sandbox/regions/up' : '/_sandbox/regions/down', region)
}

export async function listSandboxRegions(platform: Platform): Promise<SandboxRegion[]> {
  const response = await sandboxControl<{ regions?: SandboxRegion[] }>(await ensureSandbox(platform), 'GET', '/_sandbox/regions')
  return response.body.regions ?? []
}

/** The endpoint the sandbox's control routes of a region are on: the main cluster's, or the regional cluster's. */
export async function sandboxRegionState(platform: Platform, region: string | undefined): Promise<SandboxState> {
  if (region !== undefined) checkSandboxRegion(platform, region)
  const state = await ensureSandbox(platform)
  if (region === undefined || isMainClusterRegion(region)) return state
  const regional = await ensureSandboxRegion(platform, region, state)
  if (!regional.up) throw unavailableError(`the API of sandbox region ${region} is down`, { hints: [`Bring it back first: mkt sandbox region up ${region}`] })
  return { ...state, endpoints: { ...state.endpoints, kubernetes: regional.endpoint } }
}
