/** NATS subjects of the device ↔ fog-lead contract (DESIGN.md §5). */
export const subjects = {
  telemetry: (region: string, device: string) => `qonnect.${region}.telemetry.${device}`,
  register: (region: string, device: string) => `qonnect.${region}.register.${device}`,
  command: (region: string, device: string) => `qonnect.${region}.cmd.${device}`,
} as const;
