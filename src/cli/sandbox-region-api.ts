// `mkt sandbox region down|up`: one call with the state flipped, so both commands are declarations plus a print.
import { Args } from '@oclif/core'
import { type SandboxRegion, setSandboxRegionUp } from '../kube/sandbox-regions.js'
import type { Platform } from '../platform/schema.js'

export const sandboxRegionArgs = { region: Args.string({ description: 'Region (a regional cluster, e.g. northeurope)', required: true }) }

/** Takes a regional cluster's API down or brings it back; `line` says where it is now (after down, with the undo). */
export async function setSandboxRegionApi(platform: Platform, name: string, up: boolean): Promise<{ region: SandboxRegion; line: string }> {
  const region = await setSandboxRegionUp(platform, name, up)
  const line = up
    ? `Region ${region.region}: API up at ${region.endpoint}.`
    : `Region ${region.region}: API down (${region.endpoint} refuses connections). Undo: mkt sandbox region up ${region.region}`
  return { region, line }
}
