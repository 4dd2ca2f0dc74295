// servicebus.json: the namespace, written with the store's durable write (temp file, fsync, rename,
// directory fsync) before a write is acknowledged, so an answered PUT or DELETE survives a crash.
// Writes coalesce: while one snapshot is being written, every change made meanwhile waits for the
// single next one.
import { readFile, rename } from 'node:fs/promises'
import { writeFileDurably } from '../files.js'
import type { NamespaceSnapshot } from './entities.js'

/** Reads the snapshot; undefined when there is none. An unreadable file is moved aside (and logged). */
export async function loadSnapshot(path: string, log: (message: string) => void): Promise<NamespaceSnapshot | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  try {
    const snapshot = JSON.parse(text) as NamespaceSnapshot
    if (snapshot.version !== 1 || !Array.isArray(snapshot.queues) || !Array.isArray(snapshot.topics)) throw new Error('not a version 1 snapshot')
    return snapshot
  } catch (error) {
    // The rename is atomic, so this is not a torn write: keep the file for inspection, start empty.
    const aside = `${path}.corrupt-${Date.now()}`
    await rename(path, aside)
    log(`servicebus: ${path} is unreadable (${(error as Error).message}); moved to ${aside}, starting empty`)
    return undefined
  }
}

export class SnapshotWriter {
  /** The write that has not taken its snapshot yet: later changes ride along with it. */
  private queued: Promise<void> | undefined
  private tail: Promise<void> = Promise.resolve()

  constructor(
    private readonly path: string,
    private readonly snapshot: () => NamespaceSnapshot,
  ) {}

  /** Resolves once a snapshot taken after this call is on disk. */
  flush(): Promise<void> {
    if (this.queued !== undefined) return this.queued
    const write = this.tail
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined
        return writeFileDurably(this.path, `${JSON.stringify(this.snapshot())}\n`)
      })
    this.queued = write
    this.tail = write
    return write
  }

  /** Waits for the writes in flight (on stop). */
  async idle(): Promise<void> {
    await this.tail.catch(() => undefined)
  }
}
