import { Command } from 'commander';

/** Registers the `hacp kubelet` command(s). (Placeholder: filled in by its issue.) */
export function registerKubeletCommands(_program: Command): void {}
