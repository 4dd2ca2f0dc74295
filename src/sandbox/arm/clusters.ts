// Which AKS clusters the sandbox ARM endpoint says exist: every name does, except those the control
// route marked `missing` (404 ResourceNotFound) or `forbidden` (403 AuthorizationFailed). Names are
// matched case-insensitively, as ARM does. The marks are the control file arm.json.

export type ClusterState = 'ok' | 'missing' | 'forbidden' | 'aad'

export const CLUSTER_STATES: readonly ClusterState[] = ['ok', 'missing', 'forbidden', 'aad']

/** arm.json: `{"clusters": {"<name>": "missing" | "forbidden"}}` (names as first marked). */
export interface ArmDocument {
  clusters: Record<string, Exclude<ClusterState, 'ok'>>
}

/** Cluster names are 1-63 of letters, digits, `-` and `_` (AKS's rule), starting and ending alphanumeric. */
const CLUSTER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/

export class ClusterRegistry {
  /** Lower-cased name → [name as marked, state]; names not here are `ok`. */
  private readonly marks = new Map<string, [string, Exclude<ClusterState, 'ok'>]>()

  constructor(document?: ArmDocument) {
    for (const [name, state] of Object.entries(document?.clusters ?? {})) this.set(name, state)
  }

  stateOf(name: string): ClusterState {
    return this.marks.get(name.toLowerCase())?.[1] ?? 'ok'
  }

  /** Marks a cluster; `ok` removes the mark. Returns true when something changed. */
  set(name: string, state: ClusterState): boolean {
    const key = name.toLowerCase()
    const before = this.marks.get(key)?.[1] ?? 'ok'
    if (state === 'ok') this.marks.delete(key)
    else this.marks.set(key, [this.marks.get(key)?.[0] ?? name, state])
    return before !== state
  }

  /** Removes every mark; returns how many there were. */
  clear(): number {
    const count = this.marks.size
    this.marks.clear()
    return count
  }

  /** The marked clusters, by name. */
  list(): { cluster: string; state: ClusterState }[] {
    return [...this.marks.values()].map(([cluster, state]) => ({ cluster, state })).sort((a, b) => a.cluster.localeCompare(b.cluster))
  }

  toDocument(): ArmDocument {
    return { clusters: Object.fromEntries(this.list().map(({ cluster, state }) => [cluster, state as Exclude<ClusterState, 'ok'>])) }
  }
}

/** A control request body `{cluster, state}`; throws an Error with the reason when invalid. */
export function parseClusterMark(body: unknown): { cluster: string; state: ClusterState } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('expected a JSON object {"cluster": "<name>", "state": "ok"|"missing"|"forbidden"|"aad"}')
  const { cluster, state } = body as { cluster?: unknown; state?: unknown }
  if (typeof cluster !== 'string' || !CLUSTER_NAME.test(cluster)) throw new Error('cluster must be an AKS cluster name (1-63 letters, digits, "-" or "_", starting and ending with a letter or digit)')
  if (typeof state !== 'string' || !(CLUSTER_STATES as readonly string[]).includes(state)) throw new Error(`state must be one of ${CLUSTER_STATES.join(', ')}`)
  return { cluster, state: state as ClusterState }
}

/** arm.json's content; throws naming the file when it is not a valid document. */
export function parseArmDocument(json: unknown, path: string): ArmDocument {
  const clusters = (json as { clusters?: unknown } | null)?.clusters
  if (typeof clusters !== 'object' || clusters === null || Array.isArray(clusters)) throw new Error(`${path}: expected {"clusters": {"<name>": "missing"|"forbidden"}}`)
  const result: ArmDocument = { clusters: {} }
  for (const [name, state] of Object.entries(clusters)) {
    if (state !== 'missing' && state !== 'forbidden') throw new Error(`${path}: cluster ${JSON.stringify(name)} has state ${JSON.stringify(state)}; expected "missing" or "forbidden"`)
    result.clusters[name] = state
  }
  return result
}
