/** `<registry>/kube-proxy:<version>` and friends: a Kubernetes component's image (trailing slashes of `registry` dropped). */
export function kubernetesImage(registry: string, component: string, version: string): string {
  return `${registry.replace(/\/+$/, '')}/${component}:${version}`;
}
