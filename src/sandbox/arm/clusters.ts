// Which AKS clusters the sandbox ARM endpoint has, like a subscription has: a fixed default set (the
// clusters of the built-in platform's environments and `aks-marketplace-local`), changed through the
// control route. Any other name answers 404 ResourceNotFound, as ARM does, so a mistyped cluster in
// mkt.yaml fails against the sandbox as it would on Azure. A cluster can be `ok`, `forbidden` (403
// AuthorizationFailed) or `aad` (Entra ID); marking one `missing` removes it. Names are matched
// case-insensitively, as ARM does. The set is kept in the control file arm.json.

export type ClusterState = 'ok' | 'missing' | 'forbidden' | 'aad'
/** The state of a cluster that exists. */
export type ExistingState = Exclude<ClusterState, 'missing'>

export const CLUSTER_STATES: readonly ClusterState[] = ['ok', 'missing', 'forbidden', 'aad']

/** The clusters a fresh (or reset) sandbox has. */
export const DEFAULT_CLUSTERS: readonly string[] = ['aks-marketplace-local', 'aks-marketplace-dev', 'aks-marketplace-staging-weu', 'aks-marketplace-prod-weu', 'aks-marketplace-prod-neu']

/** arm.json: `{"clusters": {"<name>": "ok" | "forbidden" | "aad"}}`: every cluster that exists. */
export interface ArmDocument {
  clusters: Record<string, ExistingState>
}

/** Cluster names are 1-63 of letters, digits, `-` and `_` (AKS's rule), starting and ending alphanumeric. */
const CLUSTER_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?$/

export class ClusterRegistry {
  /** Lower-cased name → [name as created, state]; names not here do not exist. */
  private readonly clusters = new Map<string, [string, ExistingState]>()

  /** Without a document: the default clusters. */
  constructor(document?: ArmDocument) {
    this.reset(document)
  }

  private reset(document?: ArmDocument): void {
    this.clusters.clear()
    const entries: [string, ExistingState][] = document ? Object.entries(document.clusters) : DEFAULT_CLUSTERS.map((name) => [name, 'ok'])
    for (const [name, state] of entries) this.set(name, state)
  }

  stateOf(name: string): ClusterState {
    return this.clusters.get(name.toLowerCase())?.[1] ?? 'missing'
  }

  /** Creates, changes or (`missing`) removes a cluster. Returns true when something changed. */
  set(name: string, state: ClusterState): boolean {
    const key = name.toLowerCase()
    const before = this.stateOf(name)
    if (state === 'missing') this.clusters.delete(key)
    else this.clusters.set(key, [this.clusters.get(key)?.[0] ?? name, state])
    return before !== state
  }

  /** Back to the default clusters; returns how many clusters differed from them. */
  restoreDefaults(): number {
    const defaults = new ClusterRegistry()
    const names = new Set([...this.list(), ...defaults.list()].map((c) => c.cluster.toLowerCase()))
    const changed = [...names].filter((name) => this.stateOf(name) !== defaults.stateOf(name)).length
    this.reset()
    return changed
  }

  /** The clusters that exist, by name. */
  list(): { cluster: string; state: ExistingState }[] {
    return [...this.clusters.values()].map(([cluster, state]) => ({ cluster, state })).sort((a, b) => a.cluster.localeCompare(b.cluster))
  }

  toDocument(): ArmDocument {
    return { clusters: Object.fromEntries(this.list().map(({ cluster, state }) => [cluster, state])) }
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
  if (typeof clusters !== 'object' || clusters === null || Array.isArray(clusters)) throw new Error(`${path}: expected {"clusters": {"<name>": "ok"|"forbidden"|"aad"}}`)
  const result: ArmDocument = { clusters: {} }
  for (const [name, state] of Object.entries(clusters)) {
    if (state !== 'ok' && state !== 'forbidden' && state !== 'aad') throw new Error(`${path}: cluster ${JSON.stringify(name)} has state ${JSON.stringify(state)}; expected "ok", "forbidden" or "aad" (remove the file, or run mkt sandbox reset, to start from the default clusters)`)
    result.clusters[name] = state
  }
  return result
}
