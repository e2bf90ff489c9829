/**
 * Default add-on images, each pinned by tag. Every construct takes an `image` prop to override them.
 * Status and successors are documented in docs/self-hosted.md.
 */
export const AddonImages = {
  /** flannel daemon (active). */
  flannel: 'ghcr.io/flannel-io/flannel:v0.28.9',
  /** flannel CNI plugin binary, copied to the host's `/opt/cni/bin` (active). */
  flannelCniPlugin: 'ghcr.io/flannel-io/flannel-cni-plugin:v1.9.1-flannel3',
  /** CoreDNS (active; the cluster DNS default since Kubernetes 1.13). */
  coreDns: 'registry.k8s.io/coredns/coredns:v1.13.1',
  /** kube-dns (legacy; kubeadm removed it in 1.21). */
  kubeDns: 'registry.k8s.io/dns/k8s-dns-kube-dns:1.26.7',
  /** kube-dns's dnsmasq-nanny container: the caching front on port 53 (legacy, with kube-dns). */
  kubeDnsDnsmasqNanny: 'registry.k8s.io/dns/k8s-dns-dnsmasq-nanny:1.26.7',
  /** kube-dns's sidecar container: health checks and metrics (legacy, with kube-dns). */
  kubeDnsSidecar: 'registry.k8s.io/dns/k8s-dns-sidecar:1.26.7',
  /** metrics-server (active; heapster's replacement). */
  metricsServer: 'registry.k8s.io/metrics-server/metrics-server:v0.9.0',
  /** heapster (retired in Kubernetes 1.13: opt-in only). */
  heapster: 'k8s.gcr.io/heapster-amd64:v1.5.4',
  /** Kubernetes Dashboard, the last plain-manifest release (project archived 2026-01-21; Headlamp is the successor). */
  dashboard: 'kubernetesui/dashboard:v2.7.0',
  /** The Dashboard's metrics scraper, which feeds its graphs from metrics-server. */
  dashboardMetricsScraper: 'kubernetesui/metrics-scraper:v1.0.8',
  /** bootkube's pod-checkpointer, last build (retired: it speaks only CRI v1alpha2; hacp's checkpoint service replaces it). */
  podCheckpointer: 'quay.io/coreos/pod-checkpointer:83e25e5968391b9eb342042c435d1b3eeddb2be1',
} as const;

/** `<registry>/kube-proxy:<version>` and friends (defined with the control-plane pods, which use it too). */
export { kubernetesImage } from '../control-plane/image';
