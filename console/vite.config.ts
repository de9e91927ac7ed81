import { defineConfig } from "vite";

// The gateway serves dist/ from its binary: the console at /console and
// GraphiQL (graphiql.html) at /, their assets under /console/assets/.
// File names carry content hashes only, so a build from package-lock.json
// reproduces the committed dist/ byte for byte.
export default defineConfig({
  base: "/console/",
  esbuild: { jsx: "automatic", jsxImportSource: "preact", legalComments: "none" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    sourcemap: false,
    // Inline nothing as data: URIs beyond what packages already inline, so
    // the CSP can stay at 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { console: "index.html", graphiql: "graphiql.html" },
      onwarn(warning, warn) {
        // React Server Components markers mean nothing in a browser bundle.
        if (warning.code === "MODULE_LEVEL_DIRECTIVE") return;
        warn(warning);
      },
    },
  },
});
