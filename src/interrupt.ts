// What must be given back even when the operator insists on leaving (a second Ctrl-C): the engine registers
// a release for each thing it holds (rollout locks), and the CLI runs them, bounded, before it exits.
type Release = () => Promise<unknown>

const releases = new Set<Release>()

/** Registers `release`; returns the function that forgets it once the holder let go normally. */
export function holdUntilExit(release: Release): () => void {
  releases.add(release)
  return () => releases.delete(release)
}

/** Runs every registered release at once and waits for them, but no longer than `withinMs`. */
export async function releaseHeld(withinMs: number): Promise<void> {
  const pending = [...releases].map((release) => release().catch(() => undefined))
  releases.clear()
  if (pending.length === 0) return
  let timer: NodeJS.Timeout | undefined
  await Promise.race([Promise.all(pending), new Promise((resolve) => (timer = setTimeout(resolve, withinMs)))])
  clearTimeout(timer)
}
