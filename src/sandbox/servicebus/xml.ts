// A small, strict XML reader and writer: enough for the ATOM documents Service Bus clients send and
// expect. The reader resolves namespace prefixes (clients pick their own: the JS SDK writes `p4:type`
// and `l28:string`, .NET writes `i:type`), decodes the predefined and numeric character references,
// and rejects DOCTYPEs (no entity expansion, so no billion-laughs). Anything malformed is an
// XmlParseError, which the server answers with 400.

export const XML_NAMESPACE = 'http://www.w3.org/XML/1998/namespace'
export const XMLNS_NAMESPACE = 'http://www.w3.org/2000/xmlns/'

export interface XmlAttribute {
  /** The name as written, prefix included (`p4:type`). */
  name: string
  local: string
  /** The resolved namespace URI; '' for unprefixed attributes (they are in no namespace). */
  namespace: string
  value: string
}

export interface XmlElement {
  name: string
  local: string
  namespace: string
  attributes: XmlAttribute[]
  /** Child elements and text, in document order (adjacent text merged). */
  children: XmlNode[]
  /** Prefix → namespace URI in scope at this element ('' is the default namespace). */
  scope: ReadonlyMap<string, string>
}

export type XmlNode = XmlElement | string

export class XmlParseError extends Error {
  constructor(message: string, offset: number) {
    super(`${message} (at offset ${offset})`)
    this.name = 'XmlParseError'
  }
}

const NAME = /[^\s/>=<"'!?]+/y
const WHITESPACE = /[ \t\r\n]*/y
const PREDEFINED_ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" }
const BASE_SCOPE: ReadonlyMap<string, string> = new Map([['xml', XML_NAMESPACE], ['xmlns', XMLNS_NAMESPACE]])

function splitName(name: string): { prefix: string; local: string } {
  const colon = name.indexOf(':')
  return colon < 0 ? { prefix: '', local: name } : { prefix: name.slice(0, colon), local: name.slice(colon + 1) }
}

/** Replaces `&name;` and `&#N;`/`&#xN;` references; an unknown or unterminated one is an error. */
export function decodeReferences(text: string, offset = 0): string {
  if (!text.includes('&')) return text
  return text.replace(/&([^;]*);?/g, (match, body: string, at: number) => {
    if (!match.endsWith(';')) throw new XmlParseError('unterminated character reference', offset + at)
    if (body.startsWith('#x') || body.startsWith('#X')) return codePoint(Number.parseInt(body.slice(2), 16), body, offset + at)
    if (body.startsWith('#')) return codePoint(Number.parseInt(body.slice(1), 10), body, offset + at)
    const value = PREDEFINED_ENTITIES[body]
    if (value === undefined) throw new XmlParseError(`unknown entity &${body};`, offset + at)
    return value
  })
}

function codePoint(value: number, body: string, offset: number): string {
  if (!Number.isInteger(value) || value <= 0 || value > 0x10ffff) throw new XmlParseError(`invalid character reference &${body};`, offset)
  return String.fromCodePoint(value)
}

class Reader {
  private pos = 0

  constructor(private readonly text: string) {
    if (text.charCodeAt(0) === 0xfeff) this.pos = 1
  }

  document(): XmlElement {
    this.misc()
    if (this.text.startsWith('<!DOCTYPE', this.pos)) throw this.error('DOCTYPE declarations are not accepted')
    if (this.text[this.pos] !== '<') throw this.error('expected the root element')
    const root = this.element(BASE_SCOPE)
    this.misc()
    if (this.pos < this.text.length) throw this.error('content after the root element')
    return root
  }

  private error(message: string): XmlParseError {
    return new XmlParseError(message, this.pos)
  }

  /** Skips whitespace, comments and processing instructions (the XML declaration among them). */
  private misc(): void {
    for (;;) {
      this.skipWhitespace()
      if (this.text.startsWith('<?', this.pos)) this.skipPast('?>', 'processing instruction')
      else if (this.text.startsWith('<!--', this.pos)) this.skipPast('-->', 'comment')
      else return
    }
  }

  private skipWhitespace(): void {
    WHITESPACE.lastIndex = this.pos
    WHITESPACE.exec(this.text)
    this.pos = WHITESPACE.lastIndex
  }

  private skipPast(terminator: string, what: string): string {
    const end = this.text.indexOf(terminator, this.pos)
    if (end < 0) throw this.error(`unterminated ${what}`)
    const skipped = this.text.slice(this.pos, end)
    this.pos = end + terminator.length
    return skipped
  }

  private name(): string {
    NAME.lastIndex = this.pos
    const match = NAME.exec(this.text)
    if (match === null) throw this.error('expected a name')
    this.pos = NAME.lastIndex
    return match[0]
  }

  private element(parentScope: ReadonlyMap<string, string>): XmlElement {
    const start = this.pos
    this.pos++ // '<'
    const name = this.name()
    const raw: { name: string; value: string }[] = []
    for (;;) {
      const before = this.pos
      this.skipWhitespace()
      const ch = this.text[this.pos]
      if (ch === '>' || ch === '/') break
      if (ch === undefined) throw this.error('unterminated start tag')
      if (this.pos === before) throw this.error('expected whitespace before an attribute')
      const attrName = this.name()
      this.skipWhitespace()
      if (this.text[this.pos] !== '=') throw this.error(`expected = after attribute ${attrName}`)
      this.pos++
      this.skipWhitespace()
      const quote = this.text[this.pos]
      if (quote !== '"' && quote !== "'") throw this.error(`expected a quoted value for attribute ${attrName}`)
      const valueStart = this.pos + 1
      const end = this.text.indexOf(quote, valueStart)
      if (end < 0) throw this.error('unterminated attribute value')
      const rawValue = this.text.slice(valueStart, end)
      if (rawValue.includes('<')) throw this.error(`'<' in the value of attribute ${attrName}`)
      if (raw.some((a) => a.name === attrName)) throw this.error(`duplicate attribute ${attrName}`)
      raw.push({ name: attrName, value: decodeReferences(rawValue, valueStart) })
      this.pos = end + 1
    }

    const scope = declaredScope(parentScope, raw)
    const resolve = (prefix: string, what: string): string => {
      const uri = scope.get(prefix)
      if (uri === undefined) throw new XmlParseError(`undeclared namespace prefix "${prefix}" in ${what}`, start)
      return uri
    }
    const { prefix, local } = splitName(name)
    const element: XmlElement = {
      name,
      local,
      namespace: prefix === '' ? (scope.get('') ?? '') : resolve(prefix, `<${name}>`),
      attributes: raw.map((a) => {
        if (a.name === 'xmlns') return { name: a.name, local: 'xmlns', namespace: XMLNS_NAMESPACE, value: a.value }
        const parts = splitName(a.name)
        return { name: a.name, local: parts.local, namespace: parts.prefix === '' ? '' : resolve(parts.prefix, `attribute ${a.name}`), value: a.value }
      }),
      children: [],
      scope,
    }

    if (this.text.startsWith('/>', this.pos)) {
      this.pos += 2
      return element
    }
    this.pos++ // '>'
    this.content(element)
    return element
  }

  private content(element: XmlElement): void {
    const pushText = (text: string): void => {
      if (text === '') return
      const last = element.children.at(-1)
      if (typeof last === 'string') element.children[element.children.length - 1] = last + text
      else element.children.push(text)
    }
    for (;;) {
      const next = this.text.indexOf('<', this.pos)
      if (next < 0) throw this.error(`<${element.name}> is not closed`)
      const text = this.text.slice(this.pos, next)
      if (text.includes(']]>')) throw this.error("']]>' in text")
      pushText(decodeReferences(text, this.pos))
      this.pos = next
      if (this.text.startsWith('</', this.pos)) {
        this.pos += 2
        const closing = this.name()
        if (closing !== element.name) throw this.error(`</${closing}> closes <${element.name}>`)
        this.skipWhitespace()
        if (this.text[this.pos] !== '>') throw this.error('expected > in end tag')
        this.pos++
        return
      }
      if (this.text.startsWith('<!--', this.pos)) this.skipPast('-->', 'comment')
      else if (this.text.startsWith('<![CDATA[', this.pos)) {
        this.pos += 9
        pushText(this.skipPast(']]>', 'CDATA section'))
      } else if (this.text.startsWith('<?', this.pos)) this.skipPast('?>', 'processing instruction')
      else if (this.text.startsWith('<!', this.pos)) throw this.error('unexpected markup declaration')
      else element.children.push(this.element(element.scope))
    }
  }
}

/** The parent's scope plus this element's `xmlns` / `xmlns:p` declarations. */
function declaredScope(parent: ReadonlyMap<string, string>, attributes: { name: string; value: string }[]): ReadonlyMap<string, string> {
  const declarations = attributes.filter((a) => a.name === 'xmlns' || a.name.startsWith('xmlns:'))
  if (declarations.length === 0) return parent
  const scope = new Map(parent)
  for (const d of declarations) scope.set(d.name === 'xmlns' ? '' : d.name.slice(6), d.value)
  return scope
}

/** Parses a whole document and returns its root element. */
export function parseXml(text: string): XmlElement {
  return new Reader(text).document()
}

// ---- navigation --------------------------------------------------------------------------------

export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((c): c is XmlElement => typeof c !== 'string')
}

/** The first child element with this local name (any namespace: Service Bus documents use one per level). */
export function firstChild(element: XmlElement, local: string): XmlElement | undefined {
  return childElements(element).find((c) => c.local === local)
}

export function childrenNamed(element: XmlElement, local: string): XmlElement[] {
  return childElements(element).filter((c) => c.local === local)
}

/** The element's own text (its text children joined; child elements are ignored). */
export function textOf(element: XmlElement): string {
  return element.children.filter((c): c is string => typeof c === 'string').join('')
}

export function attributeOf(element: XmlElement, local: string, namespace = ''): string | undefined {
  return element.attributes.find((a) => a.local === local && a.namespace === namespace)?.value
}

/** Resolves a QName written in content or an attribute value (`l28:string`) against the element's scope. */
export function resolveQName(element: XmlElement, qname: string): { namespace: string; local: string } | undefined {
  const { prefix, local } = splitName(qname)
  const namespace = element.scope.get(prefix)
  if (namespace === undefined && prefix !== '') return undefined
  return { namespace: namespace ?? '', local }
}

// ---- writing -----------------------------------------------------------------------------------

/** An element to write; `undefined` children are skipped, so optional parts can be written inline. */
export interface XmlOut {
  name: string
  attributes?: Record<string, string | undefined>
  children?: (XmlOut | string | undefined)[]
}

/** Builds an element: `el('Name', { attr }, child, 'text', …)`. */
export function el(name: string, attributes?: Record<string, string | undefined>, ...children: (XmlOut | string | undefined)[]): XmlOut {
  return { name, attributes, children }
}

/** A leaf element holding text (numbers and booleans written as .NET writes them: `10`, `true`). */
export function leaf(name: string, value: string | number | boolean): XmlOut {
  return { name, children: [String(value)] }
}

export function escapeText(text: string): string {
  return text.replace(/[&<>]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : '&gt;'))
}

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' }

/** Escapes a double-quoted attribute value; whitespace characters as references so they survive normalisation. */
export function escapeAttribute(text: string): string {
  return text.replace(/[&<>"\t\n\r]/g, (ch) => ATTRIBUTE_ESCAPES[ch]!)
}

export function serializeXml(node: XmlOut, options: { declaration?: boolean } = {}): string {
  const parts: string[] = options.declaration ? ['<?xml version="1.0" encoding="utf-8"?>'] : []
  write(node, parts)
  return parts.join('')
}

function write(node: XmlOut, parts: string[]): void {
  parts.push('<', node.name)
  for (const [name, value] of Object.entries(node.attributes ?? {})) {
    if (value !== undefined) parts.push(' ', name, '="', escapeAttribute(value), '"')
  }
  const children = (node.children ?? []).filter((c): c is XmlOut | string => c !== undefined && c !== '')
  if (children.length === 0) {
    parts.push('/>')
    return
  }
  parts.push('>')
  for (const child of children) {
    if (typeof child === 'string') parts.push(escapeText(child))
    else write(child, parts)
  }
  parts.push('</', node.name, '>')
}
