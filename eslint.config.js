// ESLint (flat config) for the browser code the daemon serves, run by `make lint` and
// tests/test_lint.py (npm run lint:js). Formatting is prettier's (.prettierrc.json), so there
// are no style rules here.

import js from "@eslint/js";
import globals from "globals";

export default [
  // Only the project's own files: not the virtual environment's packages, nor test output.
  { ignores: [".venv/", "node_modules/", "test-artifacts/", "build/", "dist/"] },
  js.configs.recommended,
  {
    rules: {
      eqeqeq: "error",
      "no-throw-literal": "error",
      "no-var": "error",
      "object-shorthand": "error",
      "prefer-const": "error",
      // A parameter named _like_this is there for the signature (an override's argument).
      "no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  {
    // The pages' scripts: ES modules in the kiosk's Chromium and the phones' browsers.
    files: ["host/vitrine/*/static/**/*.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.browser },
  },
  {
    // These configuration files, run by Node.js.
    files: ["*.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: globals.node },
  },
];
