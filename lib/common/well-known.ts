// Names the cluster's components agree on.

/** The namespace of the cluster's own components. */
export const KUBE_SYSTEM = 'kube-system';

/** Annotation that tells the pod-checkpointer to keep a static-pod copy of a pod (value `"true"`). */
export const CHECKPOINT_ANNOTATION = 'checkpointer.alpha.coreos.com/checkpoint';
