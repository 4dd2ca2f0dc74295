// The CLI side of `mkt sandbox …`: lifecycle and status of the embedded sandbox as results commands render.
import { join } from 'node:path'
import { unavailableError, usageError } from './errors.js'
import { ensureSandbox, sandboxControl } from './kube/sandbox.js'
import { sandboxRegionState, type SandboxRegion } from './kube/sandbox-regions.js'
import type { Platform } from './platform/schema.js'
import { defaultSandboxDir, isSandboxRunning, readSandboxState, resetSandbox, stopSandbox } from './sandbox/lifecycle.js'

export interface SandboxStatus {
  running: boolean
  dataDir: string
  pid: number | null
  startedAt: string | null
  uptimeSeconds: number | null
  endpoints: { kubernetes: string; serviceBus?: string; keyVault?: string; arm?: string; postgres?: string } | null
  kubeconfig: string
  objects: Record<string, number>
  log: string
  /** Regional clusters started so far (multi-region environments); absent when not running. */
  regions?: SandboxRegion[]
}

export async function sandboxStatus(dataDir = defaultSandboxDir()): Promise<SandboxStatus> {
  const state = await readSandboxState(dataDir)
  const base = { dataDir, kubeconfig: join(dataDir, 'kubeconfig'), log: join(dataDir, 'sandbox.log') }
  if (!state || !(await isSandboxRunning(state))) {
    return { ...base, running: false, pid: null, startedAt: null, uptimeSeconds: null, endpoints: null, objects: {} }
  }
  const [live, regions] = await Promise.all([
    sandboxControl<{ uptimeSeconds: number; objects: Record<string, number> }>(state, 'GET', '/_sandbox/status'),
    sandboxControl<{ regions?: SandboxRegion[] }>(state, 'GET', '/_sandbox/regions'),
  ])
  return {
    ...base,
    running: true,
    pid: state.pid,
    startedAt: state.startedAt,
    uptimeSeconds: live.body.uptimeSeconds,
    endpoints: state.endpoints,
    kubeconfig: state.kubeconfigPath,
    objects: live.body.objects,
    regions: regions.status === 200 ? (regions.body.regions ?? []) : [],
  }
}

export async function startSandboxCommand(platform: Platform, dataDir = defaultSandboxDir()): Promise<SandboxStatus & { alreadyRunning: boolean }> {
  const before = await readSandboxState(dataDir)
  const alreadyRunning = before !== undefined && (await isSandboxRunning(before))
  await ensureSandbox(platform, { dataDir })
  return { ...(await sandboxStatus(dataDir)), alreadyRunning }
}

export async function stopSandboxCommand(dataDir = defaultSandboxDir()): Promise<{ dataDir: string; stopped: boolean }> {
  return { dataDir, stopped: await stopSandbox(dataDir) }
}

export async function resetSandboxCommand(platform: Platform, dataDir = defaultSandboxDir()): Promise<SandboxStatus> {
  await resetSandbox(dataDir)
  await ensureSandbox(platform, { dataDir })
  return sandboxStatus(dataDir)
}

export interface FaultRecord {
  id: string
  type: 'pod' | 'api'
  [key: string]: unknown
}

/** Faults are per cluster: `region` names a regional cluster (default: the main one). */
export async function listFaults(platform: Platform, region?: string): Promise<FaultRecord[]> {
  const state = await sandboxRegionState(platform, region)
  const response = await sandboxControl<{ faults: FaultRecord[] }>(state, 'GET', '/_sandbox/faults')
  return response.body.faults
}

export async function addFault(platform: Platform, fault: Record<string, unknown>, region?: string): Promise<FaultRecord> {
  const state = await sandboxRegionState(platform, region)
  const response = await sandboxControl<{ fault?: FaultRecord; message?: string }>(state, 'POST', '/_sandbox/faults', fault)
  if (response.status === 400 || response.status === 422) throw usageError(response.body.message ?? 'the sandbox rejected the fault')
  if (response.status >= 300 || !response.body.fault) throw unavailableError(`the sandbox answered ${response.status} to a new fault`)
  return response.body.fault
}

export async function clearFaults(platform: Platform, id: string | undefined, region?: string): Promise<{ deleted: number }> {
  const state = await sandboxRegionState(platform, region)
  const path = id ? `/_sandbox/faults?id=${encodeURIComponent(id)}` : '/_sandbox/faults'
  const response = await sandboxControl<{ deleted?: number; message?: string }>(state, 'DELETE', path)
  if (response.status === 404) throw usageError(`no fault with id "${id}"`, { hints: ['Run `mkt sandbox fault list` to see the ids.'] })
  if (response.status >= 300) throw unavailableError(`the sandbox answered ${response.status} to clearing faults`)
  return { deleted: response.body.deleted ?? (id ? 1 : 0) }
}
