// Public surface of @tessera/block-metadata.
export { MetadataBlock } from './metadata.block';
export type { ComponentSource, MetadataBlockOptions } from './metadata.block';
