#!/usr/bin/env node
/**
 * `hacp`: the companion CLI. It reads the same cluster spec as the apps (`--cluster FILE`, `$HACP_CLUSTER` or
 * `./cluster.yaml`; a built-in example only with `--example`) and does what does not belong in manifests: the PKI
 * state, the kubelet units, the API load balancer, the checkpointer of self-hosted masters, offline verification of
 * a synthesized tree, and its bring-up on a running API (`hacp cluster apply`, `hacp bootstrap`).
 */
import { Command } from 'commander';
import { reportError } from './_common';
import { registerBootstrapCommands } from './bootstrap-command';
import { registerCheckpointerCommands } from './checkpointer-command';
import { registerClusterCommands } from './cluster-command';
import { registerInitCommands } from './init-command';
import { registerKubeletCommands } from './kubelet-command';
import { registerLbCommands } from './lb-command';
import { registerPkiCommands } from './pki-command';
import { registerVerifyCommands } from './verify-command';

export function buildProgram(): Command {
  const program = new Command('hacp')
    .description(
      'companion tool for cdk8s-ha-control-plane: cluster repos (init), PKI, kubelet units, API load balancer, checkpointer, verification, bring-up',
    )
    .showHelpAfterError()
    .exitOverride((err) => {
      // commander's own usage errors: exit 1 with its message, no stack trace.
      process.exit(err.exitCode === 0 ? 0 : 1);
    });
  registerInitCommands(program);
  registerPkiCommands(program);
  registerKubeletCommands(program);
  registerLbCommands(program);
  registerCheckpointerCommands(program);
  registerVerifyCommands(program);
  registerClusterCommands(program);
  registerBootstrapCommands(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((e) => {
      process.exitCode = reportError(e);
    });
}
