/**
 * The container image reference grammar (distribution/reference, what containerd and the kubelet parse):
 *
 *   reference  := name [ ":" tag ] [ "@" digest ]
 *   name       := [ domain "/" ] path-component ( "/" path-component )*
 *   domain     := host [ ":" port ]            host: DNS name (letters, digits, '-', '.'), or an IPv6 address in []
 *   path-comp  := [a-z0-9]+ ( ( "." | "_" | "__" | "-"+ ) [a-z0-9]+ )*
 *   tag        := [A-Za-z0-9_] [A-Za-z0-9_.-]{0,127}
 *   digest     := algorithm ":" hex{32,}       algorithm: [A-Za-z][A-Za-z0-9]* ( [+._-] [A-Za-z][A-Za-z0-9]* )*
 *
 * and the name is at most 255 characters. The spec's image fields are checked against it up front, so that a value
 * such as a registry with a newline or an upper-case path never reaches a manifest.
 */

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const IPV6_HOST = '\\[[a-fA-F0-9:]+\\]';
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6_HOST})(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const PATH = `${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
const TAG = '[\\w][\\w.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';

const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${PATH})(?::(${TAG}))?(?:@(${DIGEST}))?$`);
/** A registry with an optional repository prefix: `registry.k8s.io`, `harbor.example:5000/k8s`, `myorg`. */
const REGISTRY = new RegExp(`^(?:${DOMAIN}(?:/${PATH})?|${PATH})$`);

/** Longest image name (without tag and digest) the grammar allows. */
export const MAX_IMAGE_NAME_LENGTH = 255;

/** The parts of an image reference. */
export interface ImageReference {
  /** Registry host (and port), when the reference names one (a first component with `.` or `:`, or `localhost`). */
  readonly domain?: string;
  /** Repository path within the registry. */
  readonly path: string;
  /** The tag after `:` (`v1.35.4`); undefined when the reference has none. */
  readonly tag?: string;
  /** The digest after `@` (`sha256:<hex>`); undefined when the reference has none. */
  readonly digest?: string;
}

/**
 * Parses an image reference; undefined when it does not follow the grammar. A first component counts as the
 * registry only when it looks like a host (contains `.` or `:`, or is `localhost`), as Docker and containerd decide.
 */
export function parseImageReference(value: string): ImageReference | undefined {
  if (typeof value !== 'string' || value.length > 4096) return undefined;
  const m = REFERENCE.exec(value);
  if (!m) return undefined;
  const [, matchedDomain, matchedPath, tag, digest] = m as unknown as (string | undefined)[];
  let domain = matchedDomain;
  let path = matchedPath;
  if (domain !== undefined && !/[.:]/.test(domain) && domain !== 'localhost') {
    // `myorg/app`: a Docker Hub namespace, not a host. It must then be a valid path component itself.
    if (!new RegExp(`^${PATH_COMPONENT}$`).test(domain)) return undefined;
    path = `${domain}/${path}`;
    domain = undefined;
  }
  const name = domain ? `${domain}/${path}` : path!;
  if (name.length > MAX_IMAGE_NAME_LENGTH) return undefined;
  return { domain, path: path!, tag, digest };
}

/**
 * Why `value` is not an image reference pinned by tag or digest (e.g. `ghcr.io/kube-vip/kube-vip:v1.0.1`), or
 * undefined when it is one. `:latest` is refused too: what runs would change under the same spec.
 */
export function imageReferenceProblem(value: string): string | undefined {
  const ref = parseImageReference(value);
  if (!ref)
    return 'is not an image reference (like "ghcr.io/kube-vip/kube-vip:v1.0.1": lower-case repository path, optional registry host, :tag or @sha256:digest)';
  if (!ref.tag && !ref.digest) return 'has neither a tag nor a digest; pin the image (e.g. ":v1.0.1" or "@sha256:...")';
  if (ref.tag === 'latest' && !ref.digest)
    return 'is pinned to ":latest", which changes under the same spec; use a version tag or a digest';
  return undefined;
}

/**
 * Why `value` is not a registry (with optional repository prefix) that `<value>/<component>:<tag>` image references
 * can be built on, or undefined when it is one. Trailing slashes are ignored.
 */
export function imageRegistryProblem(value: string): string | undefined {
  const registry = typeof value === 'string' ? value.replace(/\/+$/, '') : value;
  if (typeof registry !== 'string' || registry.length > MAX_IMAGE_NAME_LENGTH - 32 || !REGISTRY.test(registry)) {
    return 'is not a registry (like "registry.k8s.io" or "harbor.example.com:5000/k8s": a host with optional port, then lower-case path components; no tag, no spaces)';
  }
  if (!parseImageReference(`${registry}/kube-controller-manager:v1.35.4`)) {
    return 'does not make valid image references (e.g. "<registry>/kube-apiserver:v1.35.4")';
  }
  return undefined;
}
