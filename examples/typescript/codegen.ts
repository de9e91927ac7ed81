import type { CodegenConfig } from "@graphql-codegen/cli";

// Generates typed documents (src/gql/) from the gateway's schema and the
// operations written with graphql() in src/. Run `npm run codegen` after
// changing either; the output is committed.
const config: CodegenConfig = {
  schema: "../../schema.graphql",
  documents: ["src/**/*.ts", "!src/gql/**/*"],
  ignoreNoDocuments: false,
  generates: {
    "./src/gql/": {
      preset: "client",
      config: {
        // Time is an RFC 3339 string on the wire; JSON (Event.payload) is
        // the provider's body, whatever its shape.
        scalars: { Time: "string", JSON: "unknown" },
        useTypeImports: true,
        enumsAsTypes: true,
      },
      presetConfig: { fragmentMasking: false },
    },
  },
};

export default config;
