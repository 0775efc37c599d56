// The Tessera version, stamped into bundles by tools/build.mjs ('dev' when run from sources).
declare const TESSERA_BUILD_VERSION: string | undefined;

export const TESSERA_VERSION: string = typeof TESSERA_BUILD_VERSION === 'string' ? TESSERA_BUILD_VERSION : 'dev';
