// The sandbox's credentials: a CA (generated once, persisted, reused so kubeconfigs stay valid), a
// server certificate for 127.0.0.1/localhost signed by it, a random bearer token, and the kubeconfig
// kubectl and @kubernetes/client-node use unchanged. Files are 0600 in a 0700 directory.
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto'
import { chmod, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import forge from 'node-forge'
import { stringify as toYaml } from 'yaml'
import { readFileIfPresent, writePrivateFile } from './files.js'

export const KUBECONFIG_NAME = 'mkt-sandbox'
export const DEFAULT_NAMESPACE = 'marketplace'

export interface SandboxCredentials {
  caCert: string
  serverCert: string
  serverKey: string
  token: string
}

const FILES = { caCert: 'ca.crt', caKey: 'ca.key', serverCert: 'server.crt', serverKey: 'server.key', token: 'token', kubeconfig: 'kubeconfig' }

/** The Container Apps environment's default domain: revisions and apps answer at `<name>.<domain>` (arm/containerapps.ts). */
export const INGRESS_DOMAIN = 'local.azurecontainerapps.sandbox'

/** Renew the server certificate when it has less than this left. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000

/** An RSA key pair from node's native generator (fast), as forge objects. */
function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; privatePem: string } {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs1', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } })
  const forgeKey = forge.pki.privateKeyFromPem(privateKey)
  return { privateKey: forgeKey, publicKey: forge.pki.setRsaPublicKey(forgeKey.n, forgeKey.e), privatePem: privateKey }
}

/** A positive random serial number (DER integers are signed: keep the top bit clear). */
function serialNumber(): string {
  const bytes = randomBytes(16)
  bytes[0] = bytes[0]! & 0x7f
  return bytes.toString('hex')
}

/** A certificate for a new key pair, valid from an hour ago for `years` years; subject, issuer and extensions are the caller's. */
function newCertificate(years: number): { cert: forge.pki.Certificate; keys: ReturnType<typeof newKeyPair> } {
  const keys = newKeyPair()
  const cert = forge.pki.createCertificate()
  cert.publicKey = keys.publicKey
  cert.serialNumber = serialNumber()
  cert.validity.notBefore = new Date(Date.now() - 3600_000)
  cert.validity.notAfter = new Date(Date.now() + years * 365 * 24 * 3600_000)
  return { cert, keys }
}

function createCa(): { certPem: string; keyPem: string } {
  const { cert, keys } = newCertificate(10)
  const subject = [{ name: 'commonName', value: 'mkt-sandbox-ca' }, { name: 'organizationName', value: 'mkt sandbox' }]
  cert.setSubject(subject)
  cert.setIssuer(subject)
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ])
  cert.sign(keys.privateKey, forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem }
}

function createServerCert(caCertPem: string, caKeyPem: string): { certPem: string; keyPem: string } {
  const caCert = forge.pki.certificateFromPem(caCertPem)
  const caKey = forge.pki.privateKeyFromPem(caKeyPem)
  const { cert, keys } = newCertificate(2)
  cert.setSubject([{ name: 'commonName', value: 'mkt-sandbox-apiserver' }])
  cert.setIssuer(caCert.subject.attributes)
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 2, value: `*.${INGRESS_DOMAIN}` }, { type: 7, ip: '127.0.0.1' }] },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ])
  cert.sign(caKey, forge.md.sha256.create())
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privatePem }
}

/** True when the server certificate is signed by this CA, names 127.0.0.1 and the ingress domain, and is not about to expire. */
function serverCertUsable(serverPem: string, caPem: string): boolean {
  try {
    const server = new X509Certificate(serverPem)
    const ca = new X509Certificate(caPem)
    return server.verify(ca.publicKey) && server.checkIP('127.0.0.1') !== undefined && server.checkHost(`app.${INGRESS_DOMAIN}`) !== undefined && Date.parse(server.validTo) - Date.now() > RENEW_BEFORE_MS
  } catch {
    return false
  }
}

/** Loads the CA, server certificate and token from dataDir, creating what is missing or unusable. */
export async function ensureCredentials(dataDir: string): Promise<SandboxCredentials> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 })
  await chmod(dataDir, 0o700)
  const path = (name: keyof typeof FILES): string => join(dataDir, FILES[name])

  let caCert = await readFileIfPresent(path('caCert'))
  let caKey = await readFileIfPresent(path('caKey'))
  let caRenewed = false
  if (caCert === undefined || caKey === undefined) {
    const ca = createCa()
    caCert = ca.certPem
    caKey = ca.keyPem
    await writePrivateFile(path('caKey'), caKey)
    await writePrivateFile(path('caCert'), caCert)
    caRenewed = true
  }

  let serverCert = await readFileIfPresent(path('serverCert'))
  let serverKey = await readFileIfPresent(path('serverKey'))
  if (caRenewed || serverCert === undefined || serverKey === undefined || !serverCertUsable(serverCert, caCert)) {
    const server = createServerCert(caCert, caKey)
    serverCert = server.certPem
    serverKey = server.keyPem
    await writePrivateFile(path('serverKey'), serverKey)
    await writePrivateFile(path('serverCert'), serverCert)
  }

  let token = (await readFileIfPresent(path('token')))?.trim()
  if (!token) {
    token = randomBytes(32).toString('base64url')
    await writePrivateFile(path('token'), `${token}\n`)
  }
  return { caCert, serverCert, serverKey, token }
}

/** The kubeconfig document: one cluster, user and context named mkt-sandbox (a regional cluster's: its own name), namespace marketplace. */
export function kubeconfigFor(server: string, credentials: Pick<SandboxCredentials, 'caCert' | 'token'>, name = KUBECONFIG_NAME): string {
  return toYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority-data': Buffer.from(credentials.caCert, 'utf8').toString('base64') } }],
    users: [{ name, user: { token: credentials.token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: DEFAULT_NAMESPACE } }],
    'current-context': name,
    preferences: {},
  })
}

export function kubeconfigPath(dataDir: string): string {
  return join(dataDir, FILES.kubeconfig)
}

export async function writeKubeconfig(dataDir: string, server: string, credentials: SandboxCredentials): Promise<string> {
  const path = kubeconfigPath(dataDir)
  await writePrivateFile(path, kubeconfigFor(server, credentials))
  return path
}

/** The port of the server named in an existing kubeconfig (to reuse it across restarts). */
export async function previousPort(dataDir: string): Promise<number | undefined> {
  const text = await readFileIfPresent(kubeconfigPath(dataDir))
  const match = text === undefined ? null : /server:\s*https:\/\/127\.0\.0\.1:(\d+)/.exec(text)
  return match === null ? undefined : Number(match[1])
}
