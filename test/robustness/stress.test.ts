// The timing-sensitive robustness suites, in one file so they run one after another (not beside each other).
import { faultsSuite } from "./faults.js";
import { loadSuite } from "./load.js";

loadSuite();
faultsSuite();
