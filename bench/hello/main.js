'use strict';
// Hello world: one App, one Chart, one Deployment as a plain ApiObject (no cdk8s-plus, no imported k8s module).
const { ApiObject, App, Chart } = require('cdk8s');

const app = new App();
const chart = new Chart(app, 'hello');
const labels = { app: 'hello' };
new ApiObject(chart, 'deployment', {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'hello' },
  spec: {
    replicas: 1,
    selector: { matchLabels: labels },
    template: {
      metadata: { labels },
      spec: { containers: [{ name: 'hello', image: 'registry.k8s.io/pause:3.10', ports: [{ containerPort: 8080 }] }] },
    },
  },
});
app.synth();
