import { Command } from 'commander';

/** Registers the `hacp pki` command(s). (Placeholder: filled in by its issue.) */
export function registerPkiCommands(_program: Command): void {}
