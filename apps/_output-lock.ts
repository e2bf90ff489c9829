// The output lock lives in the library (lib/synth/output-lock.ts: cluster repos' synths take it too); the apps,
// scripts/synth.js and the tests load it from here.
export * from '../lib/synth/output-lock';
