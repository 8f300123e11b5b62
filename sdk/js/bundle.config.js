// The Rolldown configuration a department's `jco componentize --bundle`
// merges in (`--bundle-config node_modules/@onething/sdk/bundle.config.js`):
// the contract's own imports (`onething:matter/...`) stay imports of the
// component, as jco already keeps `wasi:...` ones, instead of a warning per
// specifier that it could not resolve them.

export default {
  external: [/^onething:/],
};
