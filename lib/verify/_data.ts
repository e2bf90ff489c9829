// The schemas/ folder readers live in lib/common (the constructs read the flag references too).
export { hasSchemaFile, readSchemaFile, schemasDir } from '../common/schema-files';
