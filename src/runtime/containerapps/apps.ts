// The reads and writes mkt makes on the container apps of one region, each through the SDK and each failure
// mapped to mkt's exit codes (client.ts). Writes are ARM long-running operations: the SDK polls their
// Azure-AsyncOperation URL until they end.
import type { ContainerApp, Replica, Revision } from '@azure/arm-appcontainers'
import { containerAppsError, type ContainerAppsConnection } from './client.js'
import { sortRevisions } from './records.js'

/** How often mkt polls a long-running operation (the SDK's default is 2 s; ARM's Retry-After wins when sent). */
const OPERATION_POLL_MS = 500

export interface AppRead {
  app: ContainerApp
  /** The ETag the read returned: the If-Match of a write that must not overwrite someone else's. */
  etag: string | undefined
}

export class ContainerAppsRegion {
  constructor(readonly connection: ContainerAppsConnection) {}

  get region(): string {
    return this.connection.region
  }

  private get resourceGroup(): string {
    return this.connection.target.resourceGroup
  }

  private fail(error: unknown, what: string, write: boolean): never {
    throw containerAppsError(error, this.connection, { what, write })
  }

  /** The app, or undefined when it does not exist. */
  async read(name: string): Promise<AppRead | undefined> {
    let etag: string | undefined
    try {
      const app = await this.connection.client.containerApps.get(this.resourceGroup, name, { onResponse: (response) => (etag = response.headers.get('etag') ?? undefined) })
      return { app, etag }
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return undefined
      this.fail(error, `read container app ${name}`, false)
    }
  }

  /** The app's revisions, oldest first (every page). */
  async revisions(name: string): Promise<Revision[]> {
    const all: Revision[] = []
    try {
      for await (const revision of this.connection.client.containerAppsRevisions.listRevisions(this.resourceGroup, name)) all.push(revision)
    } catch (error) {
      this.fail(error, `list the revisions of ${name}`, false)
    }
    return sortRevisions(all)
  }

  async revision(name: string, revision: string): Promise<Revision> {
    try {
      return await this.connection.client.containerAppsRevisions.getRevision(this.resourceGroup, name, revision)
    } catch (error) {
      this.fail(error, `read revision ${revision}`, false)
    }
  }

  async replicas(name: string, revision: string): Promise<Replica[]> {
    try {
      return (await this.connection.client.containerAppsRevisionReplicas.listReplicas(this.resourceGroup, name, revision)).value ?? []
    } catch (error) {
      this.fail(error, `list the replicas of ${revision}`, false)
    }
  }

  /**
   * A JSON merge patch of the app (PATCH, a long-running operation), with If-Match when `etag` is given. `location`
   * is the app's (the SDK requires it in every envelope). Resolves with the app once the operation succeeded.
   */
  async update(app: ContainerApp, patch: Omit<ContainerApp, 'location'>, what: string, etag?: string): Promise<ContainerApp> {
    try {
      return await this.connection.client.containerApps.beginUpdateAndWait(this.resourceGroup, app.name!, { ...patch, location: app.location! } as ContainerApp, {
        updateIntervalInMs: OPERATION_POLL_MS,
        ...(etag ? { requestOptions: { customHeaders: { 'If-Match': etag } } } : {}),
      })
    } catch (error) {
      this.fail(error, what, true)
    }
  }

  async activate(name: string, revision: string): Promise<void> {
    try {
      await this.connection.client.containerAppsRevisions.activateRevision(this.resourceGroup, name, revision)
    } catch (error) {
      this.fail(error, `activate revision ${revision}`, true)
    }
  }

  async deactivate(name: string, revision: string): Promise<void> {
    try {
      await this.connection.client.containerAppsRevisions.deactivateRevision(this.resourceGroup, name, revision)
    } catch (error) {
      this.fail(error, `deactivate revision ${revision}`, true)
    }
  }
}
