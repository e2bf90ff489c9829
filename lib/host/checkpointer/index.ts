// The checkpointer (`hacp checkpointer run`): the host service that brings a self-hosted API server back after every
// master rebooted at once. See docs/self-hosted.md, "Checkpointing".
export * from './layout';
export * from './checkpoint';
export * from './state-machine';
export * from './store';
export * from './api-client';
export * from './runtime';
export * from './runner';
export * from './checkpointer-unit';
