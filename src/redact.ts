// The last line of defence for secrets: every secret value mkt reads is registered here, and every byte
// mkt writes to stdout/stderr passes through redact() (src/cli/streams.ts installs that).
//
// No combined regular expression: one alternation of every value outgrows V8's limit with a few large
// secrets (and then every write fails). Instead the values are bucketed by their first two characters and
// the text is scanned once: at each position a 64 Ki-entry table says whether any value starts with those
// two characters, and only then are that bucket's values compared, longest first. Linear in the text for any
// number and size of values (bench/redact.sh).

const MASK = '***'
/** Values shorter than this are not registered: masking "1" or "true" everywhere would wreck output. */
const MIN_SECRET_LENGTH = 4

const pairAt = (text: string, i: number) => text.charCodeAt(i) * 65_536 + text.charCodeAt(i + 1)
const hashOf = (pair: number) => (pair ^ (pair >>> 11)) & 0xffff

export class Redactor {
  /** Values by their first two UTF-16 code units, each bucket longest first. */
  private readonly buckets = new Map<number, string[]>()
  /** Non-zero where some bucket's pair hashes to: most positions of a text stop at this check. */
  private readonly maybe = new Uint8Array(65_536)
  private count = 0
  private readonly listeners: Array<(secret: string) => void> = []

  /** Calls `listener` with every secret registered from now on (a CI runner masks each one as it is read). */
  onRegister(listener: (secret: string) => void): void {
    this.listeners.push(listener)
  }

  /** Registers a secret and the encoded forms it may appear in (JSON string, URL, base64). */
  register(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return
    if (this.listeners.length > 0 && this.valueAt(secret, 0) !== secret) for (const listener of this.listeners) listener(secret)
    const forms = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret).toString('base64')]
    for (const form of forms) if (form.length >= MIN_SECRET_LENGTH) this.add(form)
  }

  private add(value: string): void {
    const key = pairAt(value, 0)
    this.maybe[hashOf(key)] = 1
    const bucket = this.buckets.get(key)
    if (!bucket) {
      this.buckets.set(key, [value])
    } else {
      if (bucket.includes(value)) return
      // Longest first, so a secret containing another is masked whole.
      const shorter = bucket.findIndex((v) => v.length < value.length)
      bucket.splice(shorter === -1 ? bucket.length : shorter, 0, value)
    }
    this.count++
  }

  get size(): number {
    return this.count
  }

  redact(text: string): string {
    if (this.count === 0 || text.length < MIN_SECRET_LENGTH) return text
    let out = ''
    let copiedTo = 0
    const last = text.length - MIN_SECRET_LENGTH
    for (let i = 0; i <= last; ) {
      const found = this.maybe[hashOf(pairAt(text, i))] === 0 ? undefined : this.valueAt(text, i)
      if (found === undefined) {
        i++
        continue
      }
      out += text.slice(copiedTo, i) + MASK
      i += found.length
      copiedTo = i
    }
    return copiedTo === 0 ? text : out + text.slice(copiedTo)
  }

  /** The longest registered value that `text` holds at `i`. */
  private valueAt(text: string, i: number): string | undefined {
    const bucket = this.buckets.get(pairAt(text, i))
    if (!bucket) return undefined
    for (const value of bucket) if (text.startsWith(value, i)) return value
    return undefined
  }

  clear(): void {
    this.maybe.fill(0)
    this.buckets.clear()
    this.count = 0
  }
}

/** The process-wide redactor. */
export const redactor = new Redactor()
