import * as k8s from '../../imports/k8s';

/** The container runtime's default seccomp profile. */
export const RUNTIME_DEFAULT_SECCOMP: k8s.SeccompProfile = { type: 'RuntimeDefault' };

/** A pod securityContext with the runtime's default seccomp profile and nothing else. */
export const RUNTIME_DEFAULT_POD_SECURITY: k8s.PodSecurityContext = { seccompProfile: RUNTIME_DEFAULT_SECCOMP };

/**
 * A container that needs neither privilege escalation, capabilities nor a writable root filesystem; add the user
 * (`runAsNonRoot`, `runAsUser`) it runs as.
 */
export const RESTRICTED_CONTAINER: k8s.SecurityContext = {
  allowPrivilegeEscalation: false,
  readOnlyRootFilesystem: true,
  capabilities: { drop: ['ALL'] },
};
