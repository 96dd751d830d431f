/**
 * The node flags the agent runs with: in the bundle's shebang (scripts/build-agent.ts), the systemd unit
 * (infra/systemd/qonnect-agent.service) and `pnpm bench agent-footprint`.
 *
 * `--lite-mode` makes V8 interpret only (no JIT, hence no WebAssembly: the agent uses neither, and avoids the
 * global `fetch`, whose HTTP parser is WebAssembly) and lay out its heap for size: −4 MB of peak RSS in the
 * footprint benchmark (58 → 54 MB) at unchanged CPU (~0.6 % of a core at one sample a second).
 * `--no-expose-wasm` says so explicitly, which silences V8's "disabling flag --expose_wasm" warning.
 */
export const AGENT_NODE_FLAGS: readonly string[] = ["--lite-mode", "--no-expose-wasm"];
