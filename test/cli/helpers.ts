// The CLI suites use the tests' one CLI runner.
export * from "../support/cli.js";
