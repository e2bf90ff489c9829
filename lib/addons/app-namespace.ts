import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { DNS_LABEL } from '../spec/validate';
import { podSecurityLabels } from './_helpers';

/** Pod Security Standards levels. */
export enum PodSecurityLevel {
  PRIVILEGED = 'privileged',
  BASELINE = 'baseline',
  RESTRICTED = 'restricted',
}

export interface AppNamespaceProps {
  /** Namespace name (the seed's is `tds-cloud`). */
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

const RESERVED = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** A namespace for the user's applications, with Pod Security admission labels (enforce, audit and warn). */
export class AppNamespace extends Construct {
  public readonly name: string;
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
