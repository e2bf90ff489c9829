// Names the cluster's components agree on.

/** The namespace of the cluster's own components. */
export const KUBE_SYSTEM = 'kube-system';

/**
 * Annotation (value `"true"`) that asks the checkpointer to keep a static-pod copy of a pod on its node, so that it
 * comes back after a reboot without the API: hacp's checkpoint service on the masters (`hacp-checkpointer.service`), or
 * the retired `PodCheckpointer` add-on. bootkube's name.
 */
export const CHECKPOINT_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint';
