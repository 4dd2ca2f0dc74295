// The last line of defence for secrets: every secret value mkt reads is registered here, and every byte
// mkt writes to stdout/stderr passes through redact() (src/cli/streams.ts installs that).

const MASK = '***'
/** Values shorter than this are not registered: masking "1" or "true" everywhere would wreck output. */
const MIN_SECRET_LENGTH = 4

export class Redactor {
  private readonly values = new Set<string>()
  private pattern: RegExp | undefined

  /** Registers a secret and the encoded forms it may appear in (JSON string, URL, base64). */
  register(secret: string | undefined | null): void {
    if (!secret || secret.length < MIN_SECRET_LENGTH) return
    const forms = [secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret), Buffer.from(secret).toString('base64')]
    for (const form of forms) if (form.length >= MIN_SECRET_LENGTH) this.values.add(form)
    this.pattern = undefined
  }

  get size(): number {
    return this.values.size
  }

  redact(text: string): string {
    if (this.values.size === 0) return text
    this.pattern ??= buildPattern([...this.values])
    return text.replace(this.pattern, MASK)
  }

  clear(): void {
    this.values.clear()
    this.pattern = undefined
  }
}

function buildPattern(values: string[]): RegExp {
  // Longest first so a secret containing another is masked whole.
  const sorted = values.sort((a, b) => b.length - a.length)
  return new RegExp(sorted.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g')
}

/** The process-wide redactor. */
export const redactor = new Redactor()
