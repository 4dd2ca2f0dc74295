// `mkt history` with several regions: one row per image, a column per region, so an operator sees at a glance
// which image runs where and under which revision number (numbers differ per region: each cluster counts its
// own). Rows are in the order the images first appeared in any region.
import type { ReleaseEntry } from './history.js'

export interface ImageRow {
  image: string
  /** The earliest deploy (or ReplicaSet creation) of this image in any region, ISO 8601. */
  firstSeen: string | undefined
  /** Region → its revisions of this image (newest last); empty when the region never ran it. */
  regions: Record<string, ReleaseEntry[]>
}

const whenOf = (entry: ReleaseEntry): string | undefined => entry.deployedAt ?? entry.createdAt

export function historyByImage(regions: ReadonlyArray<{ region: string; revisions: readonly ReleaseEntry[] }>): ImageRow[] {
  const rows = new Map<string, ImageRow>()
  for (const { region, revisions } of regions) {
    for (const entry of revisions) {
      const image = entry.image ?? '-'
      let row = rows.get(image)
      if (row === undefined) {
        row = { image, firstSeen: undefined, regions: Object.fromEntries(regions.map((r) => [r.region, []])) }
        rows.set(image, row)
      }
      row.regions[region]!.push(entry)
      const when = whenOf(entry)
      if (when !== undefined && (row.firstSeen === undefined || when < row.firstSeen)) row.firstSeen = when
    }
  }
  for (const row of rows.values()) for (const list of Object.values(row.regions)) list.sort((a, b) => a.revision - b.revision)
  return [...rows.values()].sort((a, b) => (a.firstSeen ?? '').localeCompare(b.firstSeen ?? ''))
}

/** A cell: `*4 (was 1) passed` (`*`: runs now; was: numbers before a rollback renumbered it), several revisions comma-separated, `-` for none. */
export function describeCell(entries: readonly ReleaseEntry[]): string {
  if (entries.length === 0) return '-'
  return entries.map((e) => `${e.current ? '*' : ''}${e.revision}${e.formerRevisions.length > 0 ? ` (was ${e.formerRevisions.join(', ')})` : ''} ${e.verdict}`).join(', ')
}
