// @qonnect/cli — the `qonnect` command as a function: `run(argv, io)` never exits the process, so tests and
// other tools call it in process with a captured Io (`bufferIo`). `src/main.ts` is the executable.
export { failureText } from "./failure.js";
export { bufferIo, CliError, EXIT, type Io, processIo } from "./io.js";
export { buildProgram, type Outcome, run } from "./run.js";
