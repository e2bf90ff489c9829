const cr=require('../build/lib/pki/_crypto');
let t=0,n=0;const o=cr.issueCertificate;
require('../build/lib/pki/_crypto').issueCertificate=function(...a){const s=process.hrtime.bigint();const r=o.apply(this,a);t+=Number(process.hrtime.bigint()-s)/1e6;n++;return r};
const { ClusterPki } = require('../build/lib/pki');
const { STATIC_EXAMPLE_CLUSTER, resolveSpec } = require('../build/lib/spec');
(async()=>{for(let i=0;i<3;i++){t=0;n=0;const s=Date.now();await ClusterPki.inMemory(resolveSpec(STATIC_EXAMPLE_CLUSTER));console.log('total',Date.now()-s,'sign',t.toFixed(0),'n',n)}})()
