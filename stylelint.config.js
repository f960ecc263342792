// Stylelint for the pages' style sheets (standard config), run by `make lint` and
// tests/test_lint.py. Formatting is prettier's.

// The player's classes are BEM: block, __element, --modifier, each part kebab-case.
const BEM = "^[a-z][a-z0-9]*(-[a-z0-9]+)*(__[a-z0-9]+(-[a-z0-9]+)*)?(--[a-z0-9]+(-[a-z0-9]+)*)?$";

export default {
  extends: ["stylelint-config-standard"],
  rules: {
    "selector-class-pattern": [BEM, { message: (name) => `Expected class "${name}" to be BEM in kebab-case` }],
    // Font family names in the font-stack custom properties keep their capitals.
    "value-keyword-case": ["lower", { ignoreProperties: ["/^--(sans|serif)$/"] }],
  },
  overrides: [
    {
      // The associate app runs on store phones, some with a Safari older than 16.4, which
      // ignores media queries in range notation ("width >= 700px").
      files: ["host/vitrine/associate/**/*.css"],
      rules: { "media-feature-range-notation": "prefix" },
    },
  ],
};
