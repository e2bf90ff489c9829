import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { DNS_LABEL } from '../spec/validate';
import { podSecurityLabels } from './_helpers';

/** Pod Security Standards levels. */
export enum PodSecurityLevel {
  /** Unrestricted: anything goes, host namespaces and privileged containers included. */
  PRIVILEGED = 'privileged',
  /** Prevents known privilege escalations (no host namespaces, no privileged containers, no added capabilities but a few). */
  BASELINE = 'baseline',
  /** Current hardening best practice: non-root, no privilege escalation, all capabilities dropped, seccomp set. */
  RESTRICTED = 'restricted',
}

/** Properties of `AppNamespace`. */
export interface AppNamespaceProps {
  /** Namespace name: a DNS-1123 label, not a built-in namespace (`default`, `kube-system`, ...). */
  readonly name: string;
  /**
   * Pod Security Standard enforced by the built-in admission controller.
   * @default PodSecurityLevel.RESTRICTED
   */
  readonly podSecurity?: PodSecurityLevel;
  /**
   * Extra labels.
   * @default - none
   */
  readonly labels?: Record<string, string>;
}

/** The built-in namespaces, which an application namespace must not be. */
const RESERVED = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** A namespace for the user's applications, with Pod Security admission labels (enforce, audit and warn). */
export class AppNamespace extends Construct {
  /** The namespace's name. */
  public readonly name: string;
  /** The Pod Security Standard enforced, audited and warned about in it. */
  public readonly podSecurity: PodSecurityLevel;
  /** The Namespace (escape hatch). */
  public readonly apiObject: k8s.KubeNamespace;
  /** The Namespace; the same object as `apiObject`. */
  public readonly namespace: k8s.KubeNamespace;

  constructor(scope: Construct, id: string, props: AppNamespaceProps) {
    super(scope, id);
    if (!DNS_LABEL.test(props.name)) throw new Error(`name: '${props.name}' is not a DNS-1123 label`);
    if (RESERVED.includes(props.name)) throw new Error(`name: '${props.name}' is a built-in namespace`);
    this.name = props.name;
    this.podSecurity = props.podSecurity ?? PodSecurityLevel.RESTRICTED;
    this.apiObject = this.namespace = new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: this.name, labels: { ...props.labels, ...podSecurityLabels(this.podSecurity) } },
    });
  }
}
